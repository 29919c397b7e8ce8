import { RandomGenerator } from '@alexnet/layers';
import { decodeWithLibjpeg, decodeWithLibvips } from './decode.js';
import { readJpegHeader } from './jpeg-header.js';
import type { DecodedImage } from './pixels.js';
import { planWindows, splitPipeline } from './plan-windows.js';
import { readImageFile } from './read-file.js';
import { resampleWindows } from './resample-windows.js';
import { runSteps } from './transforms/index.js';
import type { Transform } from './transforms.js';
import { writeWindows } from './write-batch.js';

export type { DecodedImage } from './pixels.js';

/** Options of {@link loadImage}. */
export interface LoadImageOptions {
  /**
   * Where to write the output when it has exactly this many values (for example a slot of a batch, possibly in a
   * SharedArrayBuffer); otherwise a new array is returned. The result's `data` says which.
   */
  into?: Float32Array;
}

/**
 * Decodes an image file (JPEG, PNG, WebP, ... whatever its extension says; CMYK and greyscale become RGB; EXIF
 * orientation applied) and runs `transforms` with randomness drawn from `seed` alone, so the same seed gives the
 * same pixels in any thread. Decoding gives PIL's 8-bit pixels (libjpeg for plain JPEGs, else libvips); resizes are
 * Pillow's arithmetic, bit for bit (`resizeRgb` in resample.ts); crops and flips run on the 8-bit pixels, photometric
 * transforms on float32 in [0, 1]. Throws on unreadable or truncated files.
 */
export async function loadImage(
  source: string | Uint8Array,
  transforms: readonly Transform[],
  seed: number,
  options: LoadImageOptions = {},
): Promise<DecodedImage> {
  const rng = new RandomGenerator(seed);
  const bytes = await readImageFile(source);
  const header = readJpegHeader(bytes);
  // From here on nothing awaits: libjpeg's pixels are only valid until the next decode on this thread.
  const decoded = decodeWithLibjpeg(bytes, header) ?? (await decodeWithLibvips(bytes));
  // The usual pipelines (resize, crops, flips, lighting, normalise; TenCrop for evaluation) have no steps: their
  // crops and flips become windows planned on the resized size, and only the part of the image they cover is resized.
  const pipeline = splitPipeline(transforms);
  const images = runSteps(pipeline.steps, [decoded], rng);
  const plans = images.map((image) => planWindows(image, pipeline, rng));
  const windows = plans.flatMap(resampleWindows);
  return writeWindows(windows, pipeline.windowed, options.into);
}
