import * as tf from '@tensorflow/tfjs-core';
import { Module, type Shape } from '../module.js';
import { type Pair, pair } from './conv-arithmetic.js';

/**
 * Average pooling to a fixed output size, as `torch.nn.AdaptiveAvgPool2d`: output cell i along a dimension of
 * size `n -> m` averages inputs `floor(i n / m)` to `ceil((i + 1) n / m) - 1`. Inputs smaller than the output
 * repeat cells (torchvision's AlexNet relies on that for inputs under 224).
 */
export class AdaptiveAvgPool2d extends Module {
  override get typeName(): string {
    return 'AdaptiveAvgPool2d';
  }

  readonly outputSize: [number, number];

  constructor(outputSize: Pair) {
    super();
    this.outputSize = pair(outputSize);
  }

  override forward(x: tf.Tensor): tf.Tensor {
    const [, h, w] = x.shape;
    const [oh, ow] = this.outputSize;
    if (h === oh && w === ow) return x;
    return tf.tidy(() => {
      if (h % oh === 0 && w % ow === 0) {
        const window: [number, number] = [h / oh, w / ow];
        return tf.avgPool(x as tf.Tensor4D, window, window, 'valid');
      }
      // Averages over rectangles separate into a row average and a column average: two matrix products.
      const [n, , , c] = x.shape;
      const rows = tf.matMul(poolingMatrix(h, oh), tf.reshape(tf.transpose(x, [1, 0, 2, 3]), [h, -1]));
      const byColumns = tf.reshape(tf.transpose(tf.reshape(rows, [oh, n, w, c]), [2, 1, 0, 3]), [w, -1]);
      const both = tf.matMul(poolingMatrix(w, ow), byColumns);
      return tf.transpose(tf.reshape(both, [ow, n, oh, c]), [1, 2, 0, 3]);
    });
  }

  override outputShape(inputShape: Shape): number[] {
    if (inputShape.length !== 3 || inputShape[0] < 1 || inputShape[1] < 1) {
      throw new Error(
        `AdaptiveAvgPool2d expects a non-empty [height, width, channels] input, got [${inputShape.join(', ')}]`,
      );
    }
    return [...this.outputSize, inputShape[2]];
  }
}

/** `[outSize, inSize]`: row i averages the inputs of output cell i. */
function poolingMatrix(inSize: number, outSize: number): tf.Tensor2D {
  const values = new Float32Array(outSize * inSize);
  for (let i = 0; i < outSize; i++) {
    const start = Math.floor((i * inSize) / outSize);
    const end = Math.ceil(((i + 1) * inSize) / outSize);
    for (let j = start; j < end; j++) values[i * inSize + j] = 1 / (end - start);
  }
  return tf.tensor2d(values, [outSize, inSize]);
}
