import type { RandomGenerator } from '@alexnet/layers';
import type { Pixels } from '../pixels.js';
import type { Transform } from '../transforms.js';
import { centerCrop } from './center-crop.js';
import { colorJitter } from './color-jitter.js';
import { normalize } from './normalize.js';
import { pcaLighting } from './pca-lighting.js';
import { randomCrop } from './random-crop.js';
import { randomHorizontalFlip } from './random-horizontal-flip.js';
import { randomResizedCrop } from './random-resized-crop.js';
import { resize } from './resize.js';
import type { TransformRunner } from './runner.js';
import { tenCrop } from './ten-crop.js';

export type { TransformRunner, WindowPlanning } from './runner.js';

/** The one table from a transform's `type` to the file that runs it. */
const RUNNERS: { [K in Transform['type']]: TransformRunner<Extract<Transform, { type: K }>> } = {
  resize,
  centerCrop,
  randomCrop,
  randomResizedCrop,
  randomHorizontalFlip,
  colorJitter,
  pcaLighting,
  normalize,
  tenCrop,
};

/** How `transform` runs, or undefined for a type this package does not know (a pipeline from elsewhere). */
export function runnerOf<T extends Transform>(transform: T): TransformRunner<T> | undefined {
  return Object.hasOwn(RUNNERS, transform.type)
    ? (RUNNERS[transform.type] as unknown as TransformRunner<T>)
    : undefined;
}

/** Runs `transforms` one after another, each on every image, torchvision's way. */
export function runSteps(transforms: readonly Transform[], images: Pixels[], rng: RandomGenerator): Pixels[] {
  let out = images;
  for (const transform of transforms) {
    const runner = runnerOf(transform);
    if (!runner) throw new Error(`Unknown transform ${JSON.stringify(transform)}`);
    out = runner.step(transform, out, rng);
  }
  return out;
}
