import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isMainThread } from 'node:worker_threads';
import { Generator } from '@alexnet/layers';
import { decodeWithLibjpeg, decodeWithLibvips } from './decoders.js';
import { resizeRgb } from './resample.js';
import { applyTransform, type Pixels, resizeTarget } from './steps.js';
import type { Transform } from './transforms.js';
import { finish, fusedTail, planWindows, writeWindows } from './window-pass.js';

/** Decoded, transformed pixels: `crops` images of `height x width x 3`, float32, one after another. */
export interface DecodedImage {
  data: Float32Array;
  height: number;
  width: number;
  crops: number;
}

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
 * Pillow's arithmetic, bit for bit (see {@link resizeRgb}); crops and flips run on the 8-bit pixels, photometric
 * transforms on float32 in [0, 1]. Throws on unreadable or truncated files.
 */
export async function loadImage(
  source: string | Uint8Array,
  transforms: readonly Transform[],
  seed: number,
  options: LoadImageOptions = {},
): Promise<DecodedImage> {
  const rng = new Generator(seed);
  const input =
    typeof source !== 'string'
      ? Buffer.from(source.buffer, source.byteOffset, source.byteLength)
      : isMainThread
        ? await readFile(source)
        : // A worker thread has nothing else to do meanwhile; the promise version costs ~0.4 ms of thread-pool round
          // trips per file, a tenth of a whole image's work.
          readFileSync(source);
  // From here on nothing awaits: libjpeg's pixels are only valid until the next decode on this thread.
  const decoded = decodeWithLibjpeg(input) ?? (await decodeWithLibvips(input));
  const first = transforms[0];
  const tail = fusedTail(transforms);
  if (first?.type === 'resize' && tail.length === transforms.length - 1) {
    // The usual pipelines (resize, crops, flips, lighting, normalise; TenCrop for evaluation): the windows are
    // planned on the resized size, and only the part of the image they cover is resized (all of it when one hangs
    // over the edge, where torchvision pads).
    const [height, width] = resizeTarget(first.size, decoded.height, decoded.width);
    const windows = planWindows({ data: new Uint8Array(0), height, width }, tail, rng);
    const top = Math.min(...windows.map((w) => w.top));
    const left = Math.min(...windows.map((w) => w.left));
    const bottom = Math.max(...windows.map((w) => w.top + w.height));
    const right = Math.max(...windows.map((w) => w.left + w.width));
    if (top >= 0 && left >= 0 && bottom <= height && right <= width) {
      const region = { top, left, height: bottom - top, width: right - left };
      const img = resizeRgb(decoded, height, width, first.interpolation, region);
      return writeWindows(
        windows.map((w) => ({ ...w, img, top: w.top - top, left: w.left - left })),
        tail,
        options.into,
      );
    }
    const img = resizeRgb(decoded, height, width, first.interpolation);
    return writeWindows(
      windows.map((w) => ({ ...w, img })),
      tail,
      options.into,
    );
  }
  let images: Pixels[] = [decoded];
  for (const transform of transforms.slice(0, transforms.length - tail.length))
    images = applyTransform(transform, images, rng);
  return finish(images, tail, rng, options.into);
}
