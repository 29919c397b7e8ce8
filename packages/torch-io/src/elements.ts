import type { RawTensor } from './raw-tensor.js';

/**
 * The element types of tensor files (PyTorch storages, safetensors dtypes) and how to decode them into a
 * {@link RawTensor}'s float32 / int32 typed arrays.
 */

/** Converts IEEE half-precision bits to a number. */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** The dtypes of tensor files, by their element type, with how to decode one little-endian element. */
export interface ElementType {
  bytes: number;
  float: boolean;
  read(view: DataView, byteOffset: number): number;
}

export const ELEMENT_TYPES = {
  float32: { bytes: 4, float: true, read: (v, o) => v.getFloat32(o, true) },
  float64: { bytes: 8, float: true, read: (v, o) => v.getFloat64(o, true) },
  float16: { bytes: 2, float: true, read: (v, o) => halfToFloat(v.getUint16(o, true)) },
  bfloat16: {
    bytes: 2,
    float: true,
    read: (v, o) => new Float32Array(new Uint32Array([v.getUint16(o, true) << 16]).buffer)[0],
  },
  int64: { bytes: 8, float: false, read: (v, o) => Number(v.getBigInt64(o, true)) },
  int32: { bytes: 4, float: false, read: (v, o) => v.getInt32(o, true) },
  int16: { bytes: 2, float: false, read: (v, o) => v.getInt16(o, true) },
  int8: { bytes: 1, float: false, read: (v, o) => v.getInt8(o) },
  uint8: { bytes: 1, float: false, read: (v, o) => v.getUint8(o) },
  bool: { bytes: 1, float: false, read: (v, o) => v.getUint8(o) },
} satisfies Record<string, ElementType>;

export type ElementTypeName = keyof typeof ELEMENT_TYPES;

/**
 * Decodes `count` elements of `type` laid out with `strides` (in elements) from `offset` (in elements) of a
 * little-endian byte buffer, into a contiguous row-major array.
 *
 * @throws Error (a message to follow the tensor's name) for an integer element outside the int32 range, or a
 * finite float64 one beyond the float32 range.
 */
export function decodeElements(
  bytes: Uint8Array,
  type: ElementTypeName,
  shape: readonly number[],
  offset = 0,
  strides: readonly number[] = contiguousStrides(shape),
): RawTensor {
  const element: ElementType = ELEMENT_TYPES[type];
  const count = shape.reduce((a, b) => a * b, 1);
  const data = element.float ? new Float32Array(count) : new Int32Array(count);
  const contiguous = strides.every((s, i) => s === contiguousStrides(shape)[i]);
  const start = bytes.byteOffset + offset * element.bytes;
  if (type === 'float32' && contiguous && start % 4 === 0) {
    data.set(new Float32Array(bytes.buffer, start, count));
    return { dtype: 'float32', shape: [...shape], data };
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const index = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < count; i++) {
    let position = offset;
    for (let d = 0; d < shape.length; d++) position += index[d] * strides[d];
    const value = element.read(view, position * element.bytes);
    data[i] = value;
    // An Int32Array wraps what does not fit (2^40 becomes 0): an int64 element out of range is refused instead;
    // so is a finite float64 that float32 rounds to infinity (1e300), which would then be reported as infinite.
    if (element.float ? Number.isFinite(value) && !Number.isFinite(data[i]) : data[i] !== value) {
      const range = element.float ? 'float32' : 'int32';
      throw new Error(`holds ${value} at element ${i}, outside the ${range} range its ${type} elements are read into`);
    }
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
  return { dtype: element.float ? 'float32' : 'int32', shape: [...shape], data };
}

/** Row-major strides (in elements) of a shape. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = stride;
    stride *= shape[d];
  }
  return strides;
}
