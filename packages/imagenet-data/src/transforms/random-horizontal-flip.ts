import { flip } from '../pixels.js';
import type { Transform } from '../transforms.js';
import type { TransformRunner } from './runner.js';

type RandomHorizontalFlip = Extract<Transform, { type: 'randomHorizontalFlip' }>;

/** `RandomHorizontalFlip`: one uniform draw per image, mirrored when it is below `p`. */
export const randomHorizontalFlip: TransformRunner<RandomHorizontalFlip> = {
  step: (transform, images, rng) => images.map((img) => (rng.uniform() < transform.p ? flip(img) : img)),
  window: {
    role: 'moves',
    plan: (transform, view, rng) => [rng.uniform() < transform.p ? { ...view, flipped: !view.flipped } : view],
  },
};
