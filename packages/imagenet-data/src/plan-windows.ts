import type { RandomGenerator } from '@alexnet/layers';
import { eightBit, type Pixels, type RgbImage } from './pixels.js';
import type { Interpolation } from './resample.js';
import { runnerOf } from './transforms/index.js';
import { resizeTarget } from './transforms/resize.js';
import type { Transform } from './transforms.js';
import { type Window, wholeImage } from './window.js';

/** A pipeline cut where the one pass (write-batch.ts) begins: what runs before it, and what it does. */
export interface PipelineSplit {
  /** Transforms that need whole images, run step by step first (none in the usual pipelines). */
  steps: Transform[];
  /**
   * The Resize that starts the usual pipelines, when the one pass does all the rest: it runs after the windows are
   * planned, on the part of the image they cover.
   */
  resize: Extract<Transform, { type: 'resize' }> | null;
  /** The run that ends the pipeline and becomes windows over the (resized) image and the values written. */
  windowed: Transform[];
}

/** Where a transform's window role may stand in the one pass: non-decreasing, and 'ends' / 'values' once each. */
const ROLE_ORDER = { moves: 0, ends: 1, values: 2 } as const;

/**
 * Cuts `transforms` where the longest run at its end that the one pass can do begins (crops and flips, then a TenCrop
 * or a PcaLighting, then a Normalize: the roles their runners declare). When all before that run is one Resize, it is
 * set apart, to run after planning on what the windows cover.
 */
export function splitPipeline(transforms: readonly Transform[]): PipelineSplit {
  let start = transforms.length;
  let orderAfter = Number.POSITIVE_INFINITY;
  while (start > 0) {
    const role = runnerOf(transforms[start - 1])?.window?.role;
    if (role === undefined) break;
    const order = ROLE_ORDER[role];
    if (order > orderAfter || (order === orderAfter && role !== 'moves')) break;
    orderAfter = order;
    start -= 1;
  }
  const first = transforms[0];
  const resize = start === 1 && first.type === 'resize' ? first : null;
  return { steps: resize ? [] : transforms.slice(0, start), resize, windowed: transforms.slice(start) };
}

/** The size an image is resized to before its windows are read, and how. */
export interface ResizedSize {
  height: number;
  width: number;
  interpolation: Interpolation;
}

/** An image and the windows planned over it, in the coordinates of its resized size when it is to be resized. */
export type WindowPlan =
  | { image: Pixels; resize: null; windows: Window[] }
  | { image: RgbImage; resize: ResizedSize; windows: Window[] };

/**
 * Plans the windows of `pipeline.windowed` over `image` (over its size after `pipeline.resize`, which has not run
 * yet): one window, or TenCrop's ten. Only sizes are read, and `rng` in the transforms' order.
 */
export function planWindows(image: Pixels, pipeline: PipelineSplit, rng: RandomGenerator): WindowPlan {
  const resize = pipeline.resize && resizedSize(pipeline.resize, image);
  let windows = [wholeImage(resize?.height ?? image.height, resize?.width ?? image.width)];
  for (const transform of pipeline.windowed) {
    const planning = runnerOf(transform)?.window;
    if (!planning) throw new Error(`${transform.type} cannot run in the one pass`); // splitPipeline never lets it
    windows = windows.flatMap((window) => planning.plan(transform, window, rng));
  }
  // With a resize there were no steps: the image is the decoded 8-bit one.
  return resize ? { image: eightBit(image, 'Resize'), resize, windows } : { image, resize: null, windows };
}

function resizedSize(resize: NonNullable<PipelineSplit['resize']>, image: Pixels): ResizedSize {
  const [height, width] = resizeTarget(resize.size, image.height, image.width);
  return { height, width, interpolation: resize.interpolation };
}
