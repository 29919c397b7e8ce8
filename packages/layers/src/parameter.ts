import * as tf from '@tensorflow/tfjs-core';
import { type Initializer, runInitializer } from './init.js';
import type { RandomGenerator } from './random.js';

/**
 * A trainable tensor together with the way it maps to PyTorch's layout.
 *
 * Layers keep weights in the layout TF.js computes fastest with (convolution filters HWIO, linear weights
 * [in, out]); state dicts and weight files use PyTorch's (OIHW, [out, in]). `toTorch` is the permutation from
 * the stored layout to PyTorch's; its inverse is applied on load.
 */
export class Parameter {
  readonly variable: tf.Variable;
  readonly toTorch: readonly number[] | null;
  private readonly fromTorch: readonly number[] | null;

  constructor(value: tf.Tensor, toTorch: readonly number[] | null = null) {
    this.variable = tf.variable(value, true);
    this.toTorch = toTorch;
    this.fromTorch = toTorch ? invertPermutation(toTorch) : null;
  }

  /** The shape in PyTorch's layout. */
  get torchShape(): number[] {
    const shape = this.variable.shape;
    return this.toTorch ? this.toTorch.map((axis) => shape[axis]) : [...shape];
  }

  /** `tensor` (in this parameter's stored layout) converted to PyTorch's layout: a new tensor. */
  exportTensor(tensor: tf.Tensor): tf.Tensor {
    return this.toTorch ? tf.transpose(tensor, [...this.toTorch]) : tf.clone(tensor);
  }

  /** `tensor` (in PyTorch's layout) converted to the stored layout: a new tensor. */
  importTensor(tensor: tf.Tensor): tf.Tensor {
    return this.fromTorch ? tf.transpose(tensor, [...this.fromTorch]) : tf.clone(tensor);
  }
}

function invertPermutation(perm: readonly number[]): number[] {
  const inverse = new Array<number>(perm.length);
  perm.forEach((axis, i) => {
    inverse[axis] = i;
  });
  return inverse;
}

/**
 * A parameter filled by an initialiser. `torchShape` is PyTorch's layout; the values are generated in it (so the
 * same seed gives the same PyTorch-layout tensor whatever the stored layout) and then permuted to storage.
 */
export function initializedParameter(
  init: Initializer,
  torchShape: readonly number[],
  fanIn: number,
  rng: RandomGenerator | undefined,
  toTorch: readonly number[] | null = null,
): Parameter {
  const values = runInitializer(init, torchShape, fanIn, rng);
  // Permuting in JavaScript is several times faster than tf.transpose on the CPU backend for 37M values.
  const [storedValues, storedShape] = toTorch
    ? permute(values, torchShape, invertPermutation(toTorch))
    : [values, [...torchShape]];
  const stored = tf.tensor(storedValues, storedShape, 'float32');
  const parameter = new Parameter(stored, toTorch);
  stored.dispose();
  return parameter;
}

/** Row-major `values` of `shape` with axes reordered by `perm` (output axis i is input axis perm[i]). */
export function permute(
  values: Float32Array,
  shape: readonly number[],
  perm: readonly number[],
): [Float32Array, number[]] {
  const outShape = perm.map((axis) => shape[axis]);
  const inStrides = new Array<number>(shape.length);
  for (let d = shape.length - 1, stride = 1; d >= 0; d--) {
    inStrides[d] = stride;
    stride *= shape[d];
  }
  const strides = perm.map((axis) => inStrides[axis]);
  const out = new Float32Array(values.length);
  const rank = outShape.length;
  const index = new Array<number>(rank).fill(0);
  const last = rank - 1;
  const lastStride = strides[last];
  const lastSize = outShape[last];
  let position = 0;
  for (let o = 0; o < out.length; o += lastSize) {
    let source = position;
    for (let j = 0; j < lastSize; j++, source += lastStride) out[o + j] = values[source];
    for (let d = last - 1; d >= 0; d--) {
      position += strides[d];
      if (++index[d] < outShape[d]) break;
      position -= strides[d] * outShape[d];
      index[d] = 0;
    }
  }
  return [out, outShape];
}
