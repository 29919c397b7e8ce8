/**
 * The one bridge from a model's preprocessing (`@alexnet/models`' `Preprocessing`: on the model, in a weights
 * table entry, or in a weight file's metadata) to this package's transforms. Every evaluation and prediction path
 * builds its transforms here, so they cannot disagree on the resize, the interpolation or the statistics.
 */
import type { Preprocessing } from '@alexnet/models';
import { CenterCrop, Normalize, Resize, TenCrop, type Transform } from './transforms.js';

/** The fields of a `Preprocessing` (`@alexnet/models`) the evaluation transforms are made from (`layout` is NHWC). */
export type EvalPreprocessing = Pick<Preprocessing, 'resize' | 'crop' | 'interpolation' | 'mean' | 'std'>;

/** Options of {@link evalTransforms}. */
export interface EvalTransformsOptions {
  /**
   * The side fed to the model instead of the preprocessing's `crop`. The resize keeps its ratio to the crop:
   * `Math.round(size * resize / crop)` (256 for 224 at ImageNet's 256 / 224).
   */
  size?: number;
  /**
   * Ten crops (the corners and the centre, then mirrored) of the centre `resize` square instead of one centre
   * crop: the 2012 paper's test, `paperEval`.
   */
  tenCrop?: boolean;
}

/**
 * The evaluation transforms a preprocessing asks for: `Resize(resize, interpolation)`, `CenterCrop(crop)`,
 * `Normalize(mean, std)` (torchvision's `ImageClassification` preset), or with `tenCrop`
 * `Resize`, `CenterCrop(resize)`, `TenCrop(crop)`, `Normalize`. For `IMAGENET_PREPROCESSING` these equal
 * `torchvisionEval(size)` and `referenceEval(size)` (and `paperEval(size)` with `tenCrop`).
 *
 * `preprocessing` may come from a weight file's metadata (`readWeights(file).metadata.preprocessing`): it is
 * checked field by field, and a missing one (PyTorch files carry none) throws, naming the fallback.
 */
export function evalTransforms(
  preprocessing: EvalPreprocessing | null | undefined,
  options: EvalTransformsOptions = {},
): Transform[] {
  const { resize, crop, interpolation, mean, std } = checkPreprocessing(preprocessing);
  const size = options.size ?? crop;
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(`evalTransforms: size must be a positive integer, got ${JSON.stringify(options.size)}`);
  }
  const side = options.size === undefined ? resize : Math.round((size * resize) / crop);
  return options.tenCrop
    ? [Resize(side, interpolation), CenterCrop(side), TenCrop(size), Normalize(mean, std)]
    : [Resize(side, interpolation), CenterCrop(size), Normalize(mean, std)];
}

const INTERPOLATIONS: readonly string[] = ['bilinear', 'bicubic', 'nearest'];

/** `value` as a preprocessing, or an error naming the first field that is missing or wrong. */
function checkPreprocessing(value: EvalPreprocessing | null | undefined): EvalPreprocessing {
  if (value === null || value === undefined || typeof value !== 'object') {
    throw new TypeError(
      "evalTransforms: no preprocessing given (PyTorch weight files carry none): pass the model's, model.preprocessing",
    );
  }
  const wrong = (field: string, want: string) =>
    new TypeError(
      `evalTransforms: preprocessing.${field} must be ${want}, got ${JSON.stringify(value[field as never])}`,
    );
  for (const field of ['resize', 'crop'] as const) {
    if (!Number.isInteger(value[field]) || value[field] < 1) throw wrong(field, 'a positive integer');
  }
  if (!INTERPOLATIONS.includes(value.interpolation))
    throw wrong('interpolation', `one of ${INTERPOLATIONS.join(', ')}`);
  for (const field of ['mean', 'std'] as const) {
    const channels = value[field];
    const ok = Array.isArray(channels) && channels.length === 3 && channels.every((c) => Number.isFinite(c));
    if (!ok || (field === 'std' && channels.some((c) => c <= 0))) {
      throw wrong(field, field === 'std' ? 'three positive numbers (R, G, B)' : 'three numbers (R, G, B)');
    }
  }
  return value;
}
