import type { RandomGenerator } from '@alexnet/layers';
import type { Pixels } from '../pixels.js';
import type { Transform } from '../transforms.js';
import type { Window } from '../window.js';

/**
 * How one kind of transform runs; each lives in the file named for its transform (`center-crop.ts` for
 * `CenterCrop`), listed in `index.ts`. Randomness is drawn from `rng` in the same order by both ways of running.
 */
export interface TransformRunner<T extends Transform> {
  /** torchvision's way, on each image's pixels in turn: the general path, for any pipeline. */
  step(transform: T, images: Pixels[], rng: RandomGenerator): Pixels[];
  /** Set when the transform can be folded into the one pass that writes the batch (see {@link WindowPlanning}). */
  window?: WindowPlanning<T>;
}

/**
 * A transform's part in the one pass: what it makes of a window. `role` says where it may stand in the run of such
 * transforms that ends a pipeline: `'moves'` (crops and flips: any number, first), `'ends'` (TenCrop's ten windows
 * or PcaLighting's offset: at most one, after them), `'values'` (Normalize: at most one, last; it changes only the
 * values written, in `write-batch.ts`).
 */
export interface WindowPlanning<T extends Transform> {
  role: 'moves' | 'ends' | 'values';
  plan(transform: T, window: Window, rng: RandomGenerator): Window[];
}
