import type { RandomGenerator } from '@alexnet/layers';
import { crop } from '../pixels.js';
import { sizePair, type Transform } from '../transforms.js';
import { cropWindow } from '../window.js';
import type { TransformRunner } from './runner.js';

type RandomCrop = Extract<Transform, { type: 'randomCrop' }>;

/** Where RandomCrop puts an `h x w` crop on a `height x width` image: (top, left), drawn in that order. */
export function randomCropOffset(rng: RandomGenerator, height: number, width: number, h: number, w: number): number[] {
  if (height < h || width < w) {
    throw new Error(`RandomCrop(${h}x${w}) is larger than the ${height}x${width} image: resize first`);
  }
  const top = randomInt(rng, height - h);
  return [top, randomInt(rng, width - w)];
}

/** A uniform integer in [0, max] (torchvision's randint for crop offsets). */
export function randomInt(rng: RandomGenerator, max: number): number {
  return Math.min(max, Math.floor(rng.uniform() * (max + 1)));
}

/** `RandomCrop`: a window at a uniformly random position. */
export const randomCrop: TransformRunner<RandomCrop> = {
  step(transform, images, rng) {
    const [h, w] = sizePair(transform.size);
    return images.map((img) => {
      const [top, left] = randomCropOffset(rng, img.height, img.width, h, w);
      return crop(img, top, left, h, w);
    });
  },
  window: {
    role: 'moves',
    plan(transform, view, rng) {
      const [h, w] = sizePair(transform.size);
      const [dy, dx] = randomCropOffset(rng, view.height, view.width, h, w);
      return [cropWindow(view, h, w, dy, dx)];
    },
  },
};
