import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type * as tf from '@tensorflow/tfjs-core';

/** The arguments TF.js passes a kernel function. */
export type KernelArgs = Parameters<tf.KernelFunc>[0];

/**
 * A float32 tensor's values, which the native backend keeps exactly as the CPU backend does. Some CPU kernels store
 * float32 results in other array types (a plain array, a Float64Array); those are copied for the native code.
 */
export function valuesOf(backend: MathBackendCPU, t: tf.TensorInfo): Float32Array {
  const values = backend.data.get(t.dataId).values;
  return values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>);
}

/** An output array of `length` floats, recycled where the backend pools them. The kernel must write all of it. */
export function allocate(backend: MathBackendCPU, length: number): Float32Array {
  const pool = (backend as { pool?: { take(length: number): Float32Array } }).pool;
  return pool ? pool.take(length) : new Float32Array(length);
}

/** A new float32 tensor over `values`. */
export function output(backend: MathBackendCPU, shape: number[], values: Float32Array): tf.TensorInfo {
  return backend.makeTensorInfo(shape, 'float32', values);
}

/** Whether every tensor is float32 (the native kernels' only dtype). */
export function allFloat32(...tensors: (tf.TensorInfo | undefined)[]): boolean {
  return tensors.every((t) => t === undefined || t.dtype === 'float32');
}
