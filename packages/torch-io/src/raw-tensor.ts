/**
 * A tensor as files hold it, in plain typed arrays: row-major data and its shape. Floating types of any width
 * arrive as float32, integer and boolean types as int32 (so they fit the typed arrays that tensor libraries such
 * as TF.js take; 64-bit integers beyond 2^31 lose precision). `@alexnet/layers` turns these into `tf.Tensor`s.
 */
export interface RawTensor {
  dtype: 'float32' | 'int32';
  shape: number[];
  data: Float32Array | Int32Array;
}

/** Tensors by name, as files hold them. */
export type RawTensors = Record<string, RawTensor>;

/** Whether a value is a {@link RawTensor}. */
export function isRawTensor(value: unknown): value is RawTensor {
  return (
    typeof value === 'object' &&
    value !== null &&
    'shape' in value &&
    'data' in value &&
    ((value as RawTensor).data instanceof Float32Array || (value as RawTensor).data instanceof Int32Array)
  );
}
