import type { RandomGenerator } from '@alexnet/layers';
import { toFloat } from '../pixels.js';
import { IMAGENET_PCA, type Transform } from '../transforms.js';
import type { TransformRunner } from './runner.js';

type PcaLighting = Extract<Transform, { type: 'pcaLighting' }>;

/** The paper's lighting noise: alpha ~ N(0, std) per principal component, offset = eigvec @ (alpha * eigval). */
export function pcaOffset(std: number, rng: RandomGenerator): number[] {
  const alpha = [rng.normal() * std, rng.normal() * std, rng.normal() * std];
  return IMAGENET_PCA.eigvec.map((row) => row.reduce((sum, v, j) => sum + v * alpha[j] * IMAGENET_PCA.eigval[j], 0));
}

/**
 * `PcaLighting`: one offset drawn per image and added to every pixel. In the one pass the window carries the offset
 * and `write-batch.ts` adds it (see `channelValue` in normalize.ts), rounding to float32 as this step does.
 */
export const pcaLighting: TransformRunner<PcaLighting> = {
  step: (transform, images, rng) =>
    images.map((img) => {
      const lit = toFloat(img);
      const d = lit.data as Float32Array;
      const delta = pcaOffset(transform.std, rng);
      for (let p = 0; p < d.length; p += 3) {
        d[p] += delta[0];
        d[p + 1] += delta[1];
        d[p + 2] += delta[2];
      }
      return lit;
    }),
  window: {
    role: 'ends',
    plan: (transform, view, rng) => [{ ...view, lighting: pcaOffset(transform.std, rng) }],
  },
};
