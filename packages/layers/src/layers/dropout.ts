import * as tf from '@tensorflow/tfjs-core';
import { Module, type Shape } from '../module.js';
import { defaultGenerator, type RandomGenerator } from '../random.js';

/** Options of {@link Dropout}. */
export interface DropoutOptions {
  /** Probability of zeroing an element (default 0.5, as in AlexNet). */
  p?: number;
  /** Random generator for the masks (default the global one); each call draws a fresh mask from it. */
  rng?: RandomGenerator;
}

/**
 * Inverted dropout, as `torch.nn.Dropout`: in training mode each element is zeroed with probability `p` and the
 * rest scaled by 1 / (1 - p); in evaluation mode it is the identity.
 */
export class Dropout extends Module {
  override get typeName(): string {
    return 'Dropout';
  }

  readonly p: number;
  private readonly rng: RandomGenerator;

  constructor(options: DropoutOptions = {}) {
    super();
    this.p = options.p ?? 0.5;
    if (!(this.p >= 0 && this.p < 1)) throw new RangeError(`Dropout p must be in [0, 1), got ${this.p}`);
    this.rng = options.rng ?? defaultGenerator;
  }

  override forward(x: tf.Tensor): tf.Tensor {
    if (!this.training || this.p === 0) return x;
    const seed = this.rng.nextSeed();
    return tf.tidy(() => {
      const keep = tf.greaterEqual(tf.randomUniform(x.shape, 0, 1, 'float32', seed), this.p);
      return tf.mul(x, tf.mul(tf.cast(keep, 'float32'), 1 / (1 - this.p)));
    });
  }

  override outputShape(inputShape: Shape): number[] {
    return [...inputShape];
  }
}
