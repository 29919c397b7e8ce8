import * as tf from '@tensorflow/tfjs-core';
import { Module, type Shape } from '../module.js';

/** Parameters of {@link LocalResponseNorm}, as `torch.nn.LocalResponseNorm(size, alpha, beta, k)`. */
export interface LocalResponseNormOptions {
  /** Channels in the window. */
  size: number;
  /** Scale; PyTorch divides it by `size` (default 1e-4). */
  alpha?: number;
  /** Exponent (default 0.75). */
  beta?: number;
  /** Additive constant (default 1). */
  k?: number;
}

/**
 * The 2012 paper's constants (n 5, k 2, alpha 1e-4, beta 0.75) in PyTorch's terms: alpha is multiplied by the
 * window size because PyTorch divides it back.
 */
export const PAPER_LRN: Required<LocalResponseNormOptions> = { size: 5, alpha: 5e-4, beta: 0.75, k: 2 };

/**
 * Local response normalisation across channels, with PyTorch's parameters and numerics:
 * `b_c = a_c / (k + alpha / size * sum_{c' in window(c)} a_c'^2)^beta`, where the window runs from
 * `c - floor(size / 2)` to `c + floor((size - 1) / 2)` (asymmetric for even sizes), zero outside the channels.
 *
 * Odd sizes use TF.js's fused `localResponseNormalization` kernel where the backend has it (the same formula with
 * depth radius (size - 1) / 2 and alpha / size); even sizes and backends without the kernel sum the window with a
 * banded matrix product.
 */
export class LocalResponseNorm extends Module {
  override get typeName(): string {
    return 'LocalResponseNorm';
  }

  readonly size: number;
  readonly alpha: number;
  readonly beta: number;
  readonly k: number;

  constructor(options: LocalResponseNormOptions) {
    super();
    this.size = options.size;
    this.alpha = options.alpha ?? 1e-4;
    this.beta = options.beta ?? 0.75;
    this.k = options.k ?? 1;
    if (!Number.isInteger(this.size) || this.size < 1) {
      throw new RangeError(`LocalResponseNorm size must be a positive integer, got ${this.size}`);
    }
  }

  /** Whether the fused TF.js kernel computes exactly this normalisation on the current backend. */
  usesFusedKernel(): boolean {
    return this.size % 2 === 1 && tf.getKernel(tf.LRN, tf.getBackend()) !== undefined;
  }

  override forward(x: tf.Tensor): tf.Tensor {
    if (this.usesFusedKernel()) {
      const radius = (this.size - 1) / 2;
      return tf.localResponseNormalization(x as tf.Tensor4D, radius, this.k, this.alpha / this.size, this.beta);
    }
    return tf.tidy(() => {
      const channels = x.shape[x.rank - 1];
      const squares = tf.reshape(tf.square(x), [-1, channels]);
      const windowSums = tf.reshape(tf.matMul(squares, this.windowMatrix(channels)), x.shape);
      const scale = tf.pow(tf.add(tf.mul(windowSums, this.alpha / this.size), this.k), this.beta);
      return tf.div(x, scale);
    });
  }

  /** `[C, C]` with a 1 where input channel (row) falls in output channel (column)'s window. */
  private windowMatrix(channels: number): tf.Tensor2D {
    const before = Math.floor(this.size / 2);
    const after = Math.floor((this.size - 1) / 2);
    const band = new Float32Array(channels * channels);
    for (let out = 0; out < channels; out++) {
      for (let input = Math.max(0, out - before); input <= Math.min(channels - 1, out + after); input++) {
        band[input * channels + out] = 1;
      }
    }
    return tf.tensor2d(band, [channels, channels]);
  }

  override outputShape(inputShape: Shape): number[] {
    return [...inputShape];
  }
}
