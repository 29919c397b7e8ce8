import * as tf from '@tensorflow/tfjs-core';
import { Module, type Shape } from '../module.js';
import { explicitPadding, type Pair, pair, slidingOutputShape } from './conv-arithmetic.js';

/** Options of {@link MaxPool2d}; names and defaults follow `torch.nn.MaxPool2d` (floor mode). */
export interface MaxPool2dOptions {
  kernelSize: Pair;
  /** Default: the kernel size. */
  stride?: Pair;
  /** Implicit -infinity padding on each side (default 0). */
  padding?: Pair;
}

/** Max pooling over NHWC input. AlexNet's overlapping pool is `kernelSize 3, stride 2`. */
export class MaxPool2d extends Module {
  override get typeName(): string {
    return 'MaxPool2d';
  }

  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];

  constructor(options: MaxPool2dOptions) {
    super();
    this.kernelSize = pair(options.kernelSize);
    this.stride = pair(options.stride ?? options.kernelSize);
    this.padding = pair(options.padding ?? 0);
  }

  override forward(x: tf.Tensor): tf.Tensor {
    const pad = explicitPadding(this.padding);
    if (pad !== 'valid') {
      // TF.js pooling takes only symmetric numeric padding, not per-side amounts.
      if (this.padding[0] !== this.padding[1])
        throw new Error('MaxPool2d supports equal height and width padding only');
      return tf.maxPool(x as tf.Tensor4D, this.kernelSize, this.stride, this.padding[0]);
    }
    return tf.maxPool(x as tf.Tensor4D, this.kernelSize, this.stride, 'valid');
  }

  override outputShape(inputShape: Shape): number[] {
    const [h, w] = slidingOutputShape(this.typeName, inputShape, this.kernelSize, this.stride, this.padding);
    return [h, w, inputShape[2]];
  }
}
