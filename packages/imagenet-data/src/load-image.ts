import { RandomGenerator } from '@alexnet/layers';
import { decodeWithLibjpeg, decodeWithLibvips, refuseDecompressionBomb } from './decode.js';
import { readJpegHeader } from './jpeg-header.js';
import { checkPixelLimit, MAX_IMAGE_PIXELS } from './pixel-limit.js';
import type { DecodedImage } from './pixels.js';
import { planWindows, splitPipeline } from './plan-windows.js';
import { type ImageFile, readImageFile } from './read-file.js';
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
  /**
   * The most pixels an image may declare (default {@link MAX_IMAGE_PIXELS}, Pillow's decompression-bomb limit;
   * `Infinity` for none): a larger one is refused from its header, before anything is decoded.
   */
  maxImagePixels?: number;
  /** The name errors give bytes passed in place of a path (default `image bytes`). */
  name?: string;
}

/**
 * Decodes an image file (JPEG, PNG, WebP, ... whatever its extension says; CMYK and greyscale become RGB; EXIF
 * orientation applied) and runs `transforms` with randomness drawn from `seed` alone, so the same seed gives the
 * same pixels in any thread. Decoding gives PIL's 8-bit pixels (libjpeg for plain JPEGs, else libvips); resizes are
 * Pillow's arithmetic, bit for bit (`resizeRgb` in resample.ts); crops and flips run on the 8-bit pixels, photometric
 * transforms on float32 in [0, 1]. `source` is a path, a file with its path's bytes ({@link ImageFile}: what
 * `openDataset` gives for names that are not UTF-8), or the file's bytes. A file that cannot be used (missing, not a
 * regular file, empty, truncated, not an image, over `maxImagePixels`) throws a `BadImageError` naming it, with a
 * reason that is the same on every run.
 */
export async function loadImage(
  source: string | Uint8Array | ImageFile,
  transforms: readonly Transform[],
  seed: number,
  options: LoadImageOptions = {},
): Promise<DecodedImage> {
  const rng = new RandomGenerator(seed);
  const name =
    typeof source === 'string' ? source : source instanceof Uint8Array ? (options.name ?? 'image bytes') : source.path;
  const decode = { name, maxImagePixels: checkPixelLimit(options.maxImagePixels ?? MAX_IMAGE_PIXELS) };
  const bytes = await readImageFile(source);
  const header = readJpegHeader(bytes);
  refuseDecompressionBomb(header, decode);
  // From here on nothing awaits: libjpeg's pixels are only valid until the next decode on this thread.
  const decoded = decodeWithLibjpeg(bytes, header) ?? (await decodeWithLibvips(bytes, decode));
  // The usual pipelines (resize, crops, flips, lighting, normalise; TenCrop for evaluation) have no steps: their
  // crops and flips become windows planned on the resized size, and only the part of the image they cover is resized.
  const pipeline = splitPipeline(transforms);
  const images = runSteps(pipeline.steps, [decoded], rng);
  const plans = images.map((image) => planWindows(image, pipeline, rng));
  const windows = plans.flatMap(resampleWindows);
  return writeWindows(windows, pipeline.windowed, options.into);
}
