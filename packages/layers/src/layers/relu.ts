import * as tf from '@tensorflow/tfjs-core';
import { Module, type Shape } from '../module.js';

/** max(0, x), element-wise. */
export class ReLU extends Module {
  override get typeName(): string {
    return 'ReLU';
  }

  override forward(x: tf.Tensor): tf.Tensor {
    return tf.relu(x);
  }

  override outputShape(inputShape: Shape): number[] {
    return [...inputShape];
  }
}
