import * as tf from '@tensorflow/tfjs-core';
import { type InitScheme, pytorchInit } from '../init.js';
import { Module, type Shape } from '../module.js';
import { initializedParameter, type Parameter } from '../parameter.js';
import type { RandomGenerator } from '../random.js';

/** Options of {@link Linear}; names and defaults follow `torch.nn.Linear`. */
export interface LinearOptions {
  inFeatures: number;
  outFeatures: number;
  /** Whether the layer has a bias (default true). */
  bias?: boolean;
  /** Initialisers (default PyTorch's). */
  init?: InitScheme;
  /** Random generator for the initial values (default the global one). */
  rng?: RandomGenerator;
}

/** A fully connected layer `y = x W^T + b`; state-dict weight `[out, in]` as in PyTorch (stored `[in, out]`). */
export class Linear extends Module {
  override get typeName(): string {
    return 'Linear';
  }

  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: Parameter;
  readonly bias: Parameter | null;

  constructor(options: LinearOptions) {
    super();
    this.inFeatures = options.inFeatures;
    this.outFeatures = options.outFeatures;
    const init = options.init ?? pytorchInit();
    const fanIn = this.inFeatures;
    this.weight = this.registerParameter(
      'weight',
      initializedParameter(init.weight, [this.outFeatures, this.inFeatures], fanIn, options.rng, [1, 0]),
    );
    this.bias =
      options.bias === false
        ? null
        : this.registerParameter('bias', initializedParameter(init.bias, [this.outFeatures], fanIn, options.rng));
  }

  override forward(x: tf.Tensor): tf.Tensor {
    return tf.fused.matMul({ a: x as tf.Tensor2D, b: this.weight.variable as tf.Tensor2D, bias: this.bias?.variable });
  }

  override outputShape(inputShape: Shape): number[] {
    if (inputShape.length !== 1 || inputShape[0] !== this.inFeatures) {
      throw new Error(`Linear expects [${this.inFeatures}] features, got [${inputShape.join(', ')}]`);
    }
    return [this.outFeatures];
  }

  override multiplyAdds(): number {
    return this.inFeatures * this.outFeatures;
  }
}
