import { decodeElements, ELEMENT_TYPES, type ElementTypeName } from './elements.js';
import type { RawTensors } from './raw-tensor.js';

/** A `.safetensors` file's tensors and its `__metadata__` (string to string). */
export interface SafetensorsContent {
  tensors: RawTensors;
  metadata: Record<string, string>;
}

/** safetensors dtypes by name; a `Map`, so that names such as `toString` or `__proto__` are not found in it. */
const DTYPES = new Map<string, ElementTypeName>([
  ['F32', 'float32'],
  ['F64', 'float64'],
  ['F16', 'float16'],
  ['BF16', 'bfloat16'],
  ['I64', 'int64'],
  ['I32', 'int32'],
  ['I16', 'int16'],
  ['I8', 'int8'],
  ['U8', 'uint8'],
  ['BOOL', 'bool'],
]);

/** One tensor of the header, checked: its element type, shape and byte range in the data buffer. */
interface HeaderEntry {
  name: string;
  dtype: string;
  type: ElementTypeName;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Reads the safetensors format: an 8-byte little-endian header length, a JSON header naming each tensor's dtype,
 * shape and byte range, then the data. F32 / F64 / F16 / BF16 become float32 tensors, I64 / I32 / I16 / I8 / U8 /
 * BOOL int32 ones. The file is data only (no pickle): nothing in it can run.
 *
 * The header is checked as the format's specification asks before any tensor is read: each shape a list of
 * non-negative integers, each byte range two non-negative integers as long as the dtype's size times the element
 * count, and the ranges, in order of their start, contiguous from 0 to the end of the data buffer (no overlaps,
 * no gaps, no trailing bytes).
 *
 * @param source - names the file in errors.
 * @throws Error naming `source` and the reason (and the tensor, for a bad entry), for a truncated file, a header
 * that is not a JSON object, an unsupported dtype, a bad shape or byte range, or ranges that overlap or leave gaps.
 */
export function readSafetensors(bytes: Uint8Array, source = 'safetensors data'): SafetensorsContent {
  const fail = (why: string): never => {
    throw new Error(`${source} is not a valid safetensors file: ${why}`);
  };
  if (bytes.byteLength < 8) fail(`only ${bytes.byteLength} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > bytes.byteLength - 8)
    fail(`header length ${headerLength} exceeds the file size ${bytes.byteLength}`);
  let text = '';
  try {
    // Fatal: a name that is not UTF-8 would otherwise read as U+FFFD, and two such names as one. A byte-order mark
    // is kept, so that JSON.parse refuses it as the format's reference reader does (it was dropped silently).
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch {
    fail('header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    return fail(`header is not JSON (${(error as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');
  // JSON.parse keeps the last of two entries with one name; the file is then ambiguous, so it is refused.
  const twice = repeatedKey(text);
  if (twice !== undefined) fail(`header names ${JSON.stringify(twice)} twice`);
  const data = bytes.subarray(8 + headerLength);
  let metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') metadata = checkMetadata(value, fail);
    else entries.push(checkEntry(name, value, fail));
  }
  checkLayout(entries, data.byteLength, fail);
  const tensors: RawTensors = {};
  for (const { name, type, shape, begin, end } of entries) {
    try {
      tensors[name] = decodeElements(data.subarray(begin, end), type, shape);
    } catch (error) {
      fail(`tensor "${name}" ${(error as Error).message}`);
    }
  }
  return { tensors, metadata };
}

type Fail = (why: string) => never;

const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

/** `__metadata__`: a JSON object of strings (or null, read as none). */
function checkMetadata(value: unknown, fail: Fail): Record<string, string> {
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) return fail('__metadata__ is not a JSON object');
  for (const [key, text] of Object.entries(value as Record<string, unknown>)) {
    if (typeof text !== 'string') fail(`__metadata__ entry "${key}" is not a string`);
  }
  return { ...(value as Record<string, string>) };
}

/** One tensor's header entry: a known dtype, a shape of non-negative integers, a byte range of the right size. */
function checkEntry(name: string, value: unknown, fail: Fail): HeaderEntry {
  const bad = (why: string): never => fail(`tensor "${name}" ${why}`);
  // As a key of the tensors object it would set the object's prototype: the tensor would vanish.
  if (name === '__proto__') bad('has a name that cannot be a key of the tensors read (a JavaScript object)');
  if (typeof value !== 'object' || value === null || Array.isArray(value)) bad('is not a JSON object');
  const entry = value as Record<string, unknown>;
  const dtype = Object.hasOwn(entry, 'dtype') ? entry.dtype : undefined;
  const type = typeof dtype === 'string' ? DTYPES.get(dtype) : undefined;
  if (type === undefined) return bad(`has unsupported dtype ${JSON.stringify(dtype) ?? 'undefined'}`);
  const shape = Object.hasOwn(entry, 'shape') ? entry.shape : undefined;
  if (!Array.isArray(shape) || !shape.every(isCount)) {
    return bad(`has shape ${JSON.stringify(shape) ?? 'undefined'}, not a list of non-negative integers`);
  }
  const offsets = Object.hasOwn(entry, 'data_offsets') ? entry.data_offsets : undefined;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    return bad(`has data_offsets ${JSON.stringify(offsets) ?? 'undefined'}, not two non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  // The count may pass 2^53 for a hostile shape; then it cannot equal a safe byte length, which is what is checked.
  const byteLength = shape.reduce((a: number, b: number) => a * b, 1) * ELEMENT_TYPES[type].bytes;
  if (end < begin || end - begin !== byteLength) {
    bad(`(${dtype} [${shape.join(', ')}], ${byteLength} bytes) has byte range [${begin}, ${end}) of the wrong size`);
  }
  return { name, dtype: dtype as string, type, shape, begin, end };
}

/**
 * The first name the top-level object of a valid JSON text gives twice, if any: a linear scan of its strings,
 * counting the nesting depth (brackets inside strings skipped), reading each string at depth 1 followed by `:`.
 */
function repeatedKey(json: string): string | undefined {
  const seen = new Set<string>();
  let depth = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    else if (c === '"') {
      const start = i;
      for (i++; json[i] !== '"'; i++) if (json[i] === '\\') i++;
      if (depth !== 1) continue;
      let next = i + 1;
      while (/\s/.test(json[next] ?? '')) next++;
      if (json[next] !== ':') continue;
      const key = JSON.parse(json.slice(start, i + 1)) as string;
      if (seen.has(key)) return key;
      seen.add(key);
    }
  }
  return undefined;
}

/** The byte ranges, in order of their start, must tile the data buffer exactly (the specification's rule). */
function checkLayout(entries: HeaderEntry[], dataLength: number, fail: Fail): void {
  const byStart = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  let previous: HeaderEntry | undefined;
  for (const entry of byStart) {
    const range = `tensor "${entry.name}" (bytes [${entry.begin}, ${entry.end}))`;
    if (entry.begin < expected) fail(`${range} overlaps tensor "${previous?.name}" (which ends at ${expected})`);
    if (entry.begin > expected) {
      fail(
        `${range} leaves a gap of ${entry.begin - expected} bytes after ${previous ? `tensor "${previous.name}"` : 'the header'}`,
      );
    }
    if (entry.end > dataLength) fail(`${range} runs outside the ${dataLength} data bytes`);
    expected = entry.end;
    previous = entry;
  }
  if (expected !== dataLength) {
    fail(`the tensors cover ${expected} of the ${dataLength} data bytes (${dataLength - expected} bytes left over)`);
  }
}

/**
 * Writes tensors in the safetensors format (float32 as F32, int32 as I32), keys in the given order, with
 * `metadata` as `__metadata__`. The header is padded to a multiple of 8 bytes so the data stays aligned.
 */
export function writeSafetensors(tensors: RawTensors, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, tensor] of Object.entries(tensors)) {
    const byteLength = tensor.data.length * 4;
    header[name] = {
      dtype: tensor.dtype === 'int32' ? 'I32' : 'F32',
      shape: tensor.shape,
      data_offsets: [offset, offset + byteLength],
    };
    offset += byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((new TextEncoder().encode(json).byteLength + 8) % 8)) % 8);
  const encodedHeader = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + encodedHeader.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(encodedHeader.byteLength), true);
  out.set(encodedHeader, 8);
  let position = 8 + encodedHeader.byteLength;
  for (const tensor of Object.values(tensors)) {
    // Typed arrays use the platform's byte order; every platform TF.js runs on is little-endian, as the format is.
    out.set(new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength), position);
    position += tensor.data.byteLength;
  }
  return out;
}
