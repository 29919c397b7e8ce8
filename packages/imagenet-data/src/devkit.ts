import { readFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';

/**
 * The ILSVRC-2012 devkit's class table. Its validation ground truth (`ILSVRC2012_validation_ground_truth.txt`)
 * labels images by ILSVRC id (1-1000), an order of its own (id 1 is n02119789, kit fox; sorted by wnid it is class
 * 278). The id -> wnid table is `data/meta.mat` beside it: a MATLAB 5 file holding a `synsets` struct array. This
 * module reads that file format as far as the table needs (struct and cell arrays, strings, numbers, compression).
 */

/** One synset of the devkit: its ILSVRC id, WordNet id, names, and whether it is one of the 1000 classes. */
export interface DevkitSynset {
  id: number;
  wnid: string;
  words: string;
  /** Leaves (no children) are the classes; the rest are WordNet ancestors. */
  numChildren: number;
}

/** Reads the `synsets` table of a devkit `meta.mat`, sorted by ILSVRC id. */
export function readDevkitSynsets(metaPath: string): DevkitSynset[] {
  const variables = readMatFile(readFileSync(metaPath), metaPath);
  const synsets = variables.synsets;
  if (!Array.isArray(synsets) || synsets.length === 0) {
    throw new Error(`${metaPath} has no 'synsets' struct array (is it the ILSVRC-2012 devkit's data/meta.mat?)`);
  }
  return synsets
    .map((entry, i) => {
      const s = entry as Record<string, MatValue>;
      const id = scalar(s.ILSVRC2012_ID);
      if (id === null || typeof s.WNID !== 'string') {
        throw new Error(`${metaPath}: synset ${i + 1} has no ILSVRC2012_ID or WNID`);
      }
      return {
        id,
        wnid: s.WNID,
        words: typeof s.words === 'string' ? s.words : '',
        numChildren: scalar(s.num_children) ?? 0,
      };
    })
    .sort((a, b) => a.id - b.id);
}

function scalar(value: MatValue | undefined): number | null {
  if (typeof value === 'number') return value;
  if (value instanceof Float64Array && value.length === 1) return value[0];
  return null;
}

/** A MATLAB value as read here: numbers (1x1 as a number), strings, struct arrays as objects, cells as arrays. */
export type MatValue = number | string | Float64Array | MatValue[] | { [field: string]: MatValue };

// Data types of the MAT 5 format (Level 5 MAT-file format, "MAT-File Data Types").
const MI = { INT8: 1, UINT8: 2, INT16: 3, UINT16: 4, INT32: 5, UINT32: 6, SINGLE: 7, DOUBLE: 9, INT64: 12, UINT64: 13 };
const MI_MATRIX = 14;
const MI_COMPRESSED = 15;
const MI_UTF8 = 16;
// Array classes.
const MX_CELL = 1;
const MX_STRUCT = 2;
const MX_CHAR = 4;

/** The variables of a little-endian MAT 5 file (what MATLAB and scipy write by default), by name. */
export function readMatFile(bytes: Uint8Array, name = 'MAT file'): Record<string, MatValue> {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length < 128 || !buffer.subarray(0, 10).toString('latin1').startsWith('MATLAB 5.0')) {
    throw new Error(`${name} is not a MATLAB 5 MAT file (header: "${buffer.subarray(0, 10).toString('latin1')}")`);
  }
  if (buffer.toString('latin1', 126, 128) !== 'IM') {
    throw new Error(`${name} is a big-endian MAT file, which is not supported`);
  }
  const variables: Record<string, MatValue> = {};
  for (const element of elements(buffer, 128, buffer.length, name)) {
    const matrix = element.type === MI_COMPRESSED ? firstElement(inflateSync(element.data), name) : element;
    if (matrix.type !== MI_MATRIX) continue;
    const { varName, value } = readMatrix(matrix.data, name);
    variables[varName] = value;
  }
  return variables;
}

interface Element {
  type: number;
  data: Buffer;
}

/** The data elements between `start` and `end`: 8-byte tags (or 4-byte "small element" tags), 8-byte aligned. */
function* elements(buffer: Buffer, start: number, end: number, name: string): Generator<Element> {
  let offset = start;
  while (offset + 8 <= end) {
    const first = buffer.readUInt32LE(offset);
    if (first >>> 16 !== 0) {
      // Small data element: type and size in one word, at most 4 bytes of data in the next.
      yield { type: first & 0xffff, data: buffer.subarray(offset + 4, offset + 4 + (first >>> 16)) };
      offset += 8;
      continue;
    }
    const size = buffer.readUInt32LE(offset + 4);
    if (offset + 8 + size > end) throw new Error(`${name} is truncated (an element runs past the end of the file)`);
    yield { type: first, data: buffer.subarray(offset + 8, offset + 8 + size) };
    // Compressed elements are not padded; every other element ends on an 8-byte boundary.
    offset += 8 + (first === MI_COMPRESSED ? size : Math.ceil(size / 8) * 8);
  }
}

function firstElement(buffer: Buffer, name: string): Element {
  const next = elements(buffer, 0, buffer.length, name).next();
  if (next.done) throw new Error(`${name} has an empty compressed element`);
  return next.value;
}

/** A miMATRIX element: flags and class, dimensions, name, then the class's own sub-elements. */
function readMatrix(data: Buffer, name: string): { varName: string; value: MatValue } {
  if (data.length === 0) return { varName: '', value: [] };
  const parts = elements(data, 0, data.length, name);
  const take = () => {
    const next = parts.next();
    if (next.done) throw new Error(`${name} has an incomplete matrix element`);
    return next.value;
  };
  const arrayClass = take().data.readUInt32LE(0) & 0xff;
  const dims = Array.from(numbers(take()));
  const varName = take().data.toString('latin1');
  const count = dims.reduce((a, b) => a * b, 1);

  if (arrayClass === MX_CHAR) {
    const chars = take();
    const codes =
      chars.type === MI_UTF8 ? [...chars.data.toString('utf8')].map((c) => c.codePointAt(0) ?? 0) : numbers(chars);
    // Stored column-major; a string is a 1 x n row, so the codes are in order.
    return { varName, value: String.fromCodePoint(...codes) };
  }
  if (arrayClass === MX_CELL) {
    return { varName, value: Array.from({ length: count }, () => readMatrix(take().data, name).value) };
  }
  if (arrayClass === MX_STRUCT) {
    const fieldLength = take().data.readInt32LE(0);
    const namesData = take().data;
    const fields = Array.from({ length: namesData.length / fieldLength }, (_, i) =>
      namesData.toString('latin1', i * fieldLength, (i + 1) * fieldLength).replace(/\0.*$/s, ''),
    );
    const structs = Array.from({ length: count }, () =>
      Object.fromEntries(fields.map((field) => [field, readMatrix(take().data, name).value])),
    );
    return { varName, value: structs };
  }
  // Numeric classes: the real part, in whatever integer or float type was smallest to store.
  const values = Float64Array.from(numbers(take()));
  return { varName, value: values.length === 1 ? values[0] : values };
}

/** A numeric data element's values. */
function numbers({ type, data }: Element): number[] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const read: Record<number, [number, (offset: number) => number]> = {
    [MI.INT8]: [1, (o) => view.getInt8(o)],
    [MI.UINT8]: [1, (o) => view.getUint8(o)],
    [MI.INT16]: [2, (o) => view.getInt16(o, true)],
    [MI.UINT16]: [2, (o) => view.getUint16(o, true)],
    [MI.INT32]: [4, (o) => view.getInt32(o, true)],
    [MI.UINT32]: [4, (o) => view.getUint32(o, true)],
    [MI.SINGLE]: [4, (o) => view.getFloat32(o, true)],
    [MI.DOUBLE]: [8, (o) => view.getFloat64(o, true)],
    [MI.INT64]: [8, (o) => Number(view.getBigInt64(o, true))],
    [MI.UINT64]: [8, (o) => Number(view.getBigUint64(o, true))],
  };
  const reader = read[type];
  if (!reader) throw new Error(`unsupported MAT data type ${type}`);
  const [width, get] = reader;
  return Array.from({ length: data.length / width }, (_, i) => get(i * width));
}
