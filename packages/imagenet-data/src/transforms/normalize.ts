import { toFloat } from '../pixels.js';
import type { Transform } from '../transforms.js';
import type { TransformRunner } from './runner.js';

type Normalize = Extract<Transform, { type: 'normalize' }>;

/**
 * What one channel of a [0, 1] pixel becomes: PcaLighting's offset added (when given), then torchvision's Normalize
 * ((x - mean) / std), each step rounded to float32 as PyTorch computes it. The one pass writes these values.
 */
export function channelValue(
  normalize: { mean: number[]; std: number[] } | null,
  c: number,
  offset?: number,
): (x: number) => number {
  const f = Math.fround;
  const lit = offset === undefined ? (x: number) => x : (x: number) => f(x + offset);
  if (!normalize) return lit;
  const mean = f(normalize.mean[c]);
  const std = f(normalize.std[c]);
  return (x) => f(f(lit(x) - mean) / std);
}

/** `Normalize`: `(x - mean) / std` per channel. In the one pass it only sets the values `write-batch.ts` writes. */
export const normalize: TransformRunner<Normalize> = {
  step: (transform, images) =>
    images.map((img) => {
      const f = toFloat(img);
      const d = f.data as Float32Array;
      const channel = [0, 1, 2].map((c) => channelValue(transform, c));
      for (let p = 0; p < d.length; p += 3) {
        for (let c = 0; c < 3; c++) d[p + c] = channel[c](d[p + c]);
      }
      return f;
    }),
  window: { role: 'values', plan: (_transform, view) => [view] },
};
