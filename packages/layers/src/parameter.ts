import * as tf from '@tensorflow/tfjs-core';
import { type Initializer, runInitializer } from './init.js';
import type { Generator } from './random.js';

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
  rng: Generator | undefined,
  toTorch: readonly number[] | null = null,
): Parameter {
  const values = runInitializer(init, torchShape, fanIn, rng);
  const stored = tf.tidy(() => {
    const torchTensor = tf.tensor(values, [...torchShape], 'float32');
    return toTorch ? tf.transpose(torchTensor, invertPermutation(toTorch)) : torchTensor;
  });
  const parameter = new Parameter(stored, toTorch);
  stored.dispose();
  return parameter;
}
