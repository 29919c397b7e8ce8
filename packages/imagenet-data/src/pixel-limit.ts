import { thousands } from './bad-image.js';

/**
 * The most pixels an image may declare before it is refused unread: Pillow's `DecompressionBombError` threshold
 * (twice its `Image.MAX_IMAGE_PIXELS` warning limit of 89,478,485). A few kilobytes of JPEG can declare
 * 16,000 x 16,000 pixels, which would take 768 MB to decode.
 */
export const MAX_IMAGE_PIXELS = 178_956_970;

/**
 * Why an image of `width` x `height` is refused, or null when it is within `limit` (Pillow refuses above the limit,
 * not at it; `Infinity` lets everything through).
 */
export function pixelLimitProblem(width: number, height: number, limit: number): string | null {
  const pixels = width * height;
  if (!(pixels > limit)) return null;
  return (
    `declares ${width}x${height} = ${thousands(pixels)} pixels, over the limit of ${thousands(limit)} ` +
    '(a decompression bomb? raise maxImagePixels to read it)'
  );
}

/** sharp's `limitInputPixels` for `limit`: libvips then refuses a larger image from its header, before decoding. */
export function sharpPixelLimit(limit: number): number | false {
  return Number.isFinite(limit) ? Math.floor(limit) : false;
}

/** Checks a `maxImagePixels` option: a positive number (`Infinity` for no limit). */
export function checkPixelLimit(limit: number, name = 'maxImagePixels'): number {
  if (!(typeof limit === 'number' && limit > 0)) {
    throw new RangeError(`${name} must be a positive number of pixels (Infinity for no limit), got ${limit}`);
  }
  return limit;
}
