import type { RawTensors } from '@alexnet/torch-io';
import * as tf from '@tensorflow/tfjs-core';
import type { StateDict } from './module.js';

/**
 * The bridge between the plain typed arrays that `@alexnet/torch-io` reads and writes and TF.js tensors. It lives
 * here, not in torch-io, so that the file package needs no TF.js.
 */

/** `tf.Tensor`s from raw tensors. The caller disposes them. */
export function toStateDict(raw: RawTensors): StateDict {
  const dict: StateDict = {};
  for (const [name, t] of Object.entries(raw)) dict[name] = tf.tensor(t.data, t.shape, t.dtype);
  return dict;
}

/** Raw tensors downloaded from `tf.Tensor`s (float32 unless the tensor is int32 or bool). */
export async function fromStateDict(dict: StateDict): Promise<RawTensors> {
  const raw: RawTensors = {};
  for (const [name, tensor] of Object.entries(dict)) {
    const isInt = tensor.dtype === 'int32' || tensor.dtype === 'bool';
    const values = await tensor.data();
    raw[name] = {
      dtype: isInt ? 'int32' : 'float32',
      shape: [...tensor.shape],
      data: isInt ? Int32Array.from(values as ArrayLike<number>) : Float32Array.from(values as ArrayLike<number>),
    };
  }
  return raw;
}
