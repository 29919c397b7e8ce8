import * as tf from '@tensorflow/tfjs-core';
import { Module, type Shape } from '../module.js';

/** Options of {@link Flatten}. */
export interface FlattenOptions {
  /**
   * The order of the flattened features. `'chw'` (default) matches PyTorch's `x.view(n, -1)` on NCHW tensors, so
   * the next linear layer's weights are PyTorch's unchanged; `'hwc'` skips the transpose (TF.js / Keras order).
   */
  order?: 'chw' | 'hwc';
}

/** Flattens NHWC feature maps to `[n, features]`. */
export class Flatten extends Module {
  override get typeName(): string {
    return 'Flatten';
  }

  readonly order: 'chw' | 'hwc';

  constructor(options: FlattenOptions = {}) {
    super();
    this.order = options.order ?? 'chw';
  }

  override forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const ordered = this.order === 'chw' && x.rank === 4 ? tf.transpose(x, [0, 3, 1, 2]) : x;
      return tf.reshape(ordered, [x.shape[0], -1]);
    });
  }

  override outputShape(inputShape: Shape): number[] {
    return [inputShape.reduce((a, b) => a * b, 1)];
  }
}
