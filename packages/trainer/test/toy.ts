/**
 * A small, learnable problem for the trainer's tests: 8x8 single-channel images whose bright quadrant is the
 * label, a conv net with dropout, and a seeded data source that reshuffles each epoch.
 */
import { Conv2d, Dropout, Flatten, Linear, MaxPool2d, RandomGenerator, ReLU, Sequential } from '@alexnet/layers';
import * as tf from '@tensorflow/tfjs-core';
import type { Batch } from '../src/data.js';

export function toyModel(seed: number): { model: Sequential; rng: RandomGenerator } {
  const rng = new RandomGenerator(seed);
  const model = new Sequential([
    new Conv2d({ inChannels: 1, outChannels: 4, kernelSize: 3, padding: 1, rng }),
    new ReLU(),
    new MaxPool2d({ kernelSize: 2 }),
    new Flatten(),
    new Dropout({ p: 0.2, rng }),
    new Linear({ inFeatures: 64, outFeatures: 4, rng }),
  ]);
  return { model, rng };
}

/** `count` images with their labels, fixed by `seed`. */
export function toyImages(count: number, seed: number): { images: Float32Array; labels: Int32Array } {
  const rng = new RandomGenerator(seed);
  const images = new Float32Array(count * 64);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const label = i % 4;
    labels[i] = label;
    const [r0, c0] = [Math.floor(label / 2) * 4, (label % 2) * 4];
    for (let p = 0; p < 64; p++) {
      const [r, c] = [Math.floor(p / 8), p % 8];
      const inside = r >= r0 && r < r0 + 4 && c >= c0 && c < c0 + 4;
      images[i * 64 + p] = (inside ? 1 : 0) + 0.3 * rng.normal();
    }
  }
  return { images, labels };
}

/** Batches of `size` in an order shuffled by `seed` and the epoch; the last batch may be short. */
export function toySource(count: number, size: number, seed: number) {
  const { images, labels } = toyImages(count, seed);
  return function* (epoch: number): IterableIterator<Batch> {
    const order = Array.from({ length: count }, (_, i) => i);
    const rng = new RandomGenerator(seed * 1000 + epoch);
    for (let i = count - 1; i > 0; i--) {
      const j = Math.floor(rng.uniform() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (let start = 0; start < count; start += size) {
      const picked = order.slice(start, start + size);
      const x = new Float32Array(picked.length * 64);
      for (const [k, index] of picked.entries()) x.set(images.subarray(index * 64, index * 64 + 64), k * 64);
      yield {
        images: tf.tensor4d(x, [picked.length, 8, 8, 1]),
        labels: tf.tensor1d(
          picked.map((index) => labels[index]),
          'int32',
        ),
      };
    }
  };
}
