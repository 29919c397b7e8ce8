import { decodeElements, ELEMENT_TYPES, type ElementTypeName } from './elements.js';
import type { RawTensors } from './raw-tensor.js';

/** A `.safetensors` file's tensors and its `__metadata__` (string to string). */
export interface SafetensorsContent {
  tensors: RawTensors;
  metadata: Record<string, string>;
}

const DTYPES: Record<string, ElementTypeName> = {
  F32: 'float32',
  F64: 'float64',
  F16: 'float16',
  BF16: 'bfloat16',
  I64: 'int64',
  I32: 'int32',
  I16: 'int16',
  I8: 'int8',
  U8: 'uint8',
  BOOL: 'bool',
};

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/**
 * Reads the safetensors format: an 8-byte little-endian header length, a JSON header naming each tensor's dtype,
 * shape and byte range, then the data. F32 / F64 / F16 / BF16 become float32 tensors, I64 / I32 / I16 / I8 / U8 /
 * BOOL int32 ones. The file is data only (no pickle): nothing in it can run.
 *
 * @param source - names the file in errors.
 * @throws Error naming `source` and the reason, for a truncated file, a header that is not JSON, an unsupported
 * dtype or a byte range outside the data.
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
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch (error) {
    return fail(`header is not JSON (${(error as Error).message})`);
  }
  const data = bytes.subarray(8 + headerLength);
  const tensors: RawTensors = {};
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = (value ?? {}) as Record<string, string>;
      continue;
    }
    const entry = value as HeaderEntry;
    const type = DTYPES[entry?.dtype];
    if (!type) fail(`tensor "${name}" has unsupported dtype ${JSON.stringify(entry?.dtype)}`);
    const [begin, end] = entry.data_offsets ?? [];
    const count = entry.shape.reduce((a, b) => a * b, 1);
    const elementBytes = ELEMENT_TYPES[type].bytes;
    if (!(begin >= 0 && end <= data.byteLength && end - begin === count * elementBytes)) {
      fail(
        `tensor "${name}" (${entry.dtype} [${entry.shape.join(', ')}]) has byte range [${begin}, ${end}) outside the ${data.byteLength} data bytes or of the wrong size`,
      );
    }
    tensors[name] = decodeElements(data.subarray(begin, end), type, entry.shape);
  }
  return { tensors, metadata };
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
