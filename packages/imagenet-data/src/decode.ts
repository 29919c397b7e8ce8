import sharp, { type OutputInfo } from 'sharp';
import { BadImageError } from './bad-image.js';
import { describeBadImage } from './diagnose.js';
import type { JpegHeader } from './jpeg-header.js';
import { jpegAddon } from './jpeg-native.js';
import { MAX_IMAGE_PIXELS, pixelLimitProblem, sharpPixelLimit } from './pixel-limit.js';
import type { RgbImage } from './pixels.js';

/** What a decode is told: the file's name for errors, and the most pixels it may declare. */
export interface DecodeOptions {
  name: string;
  maxImagePixels: number;
}

/**
 * Refuses, from its header alone, a JPEG declaring more than `maxImagePixels` (other formats are refused by libvips
 * from theirs, in {@link decodeWithLibvips}): a {@link BadImageError}.
 */
export function refuseDecompressionBomb(header: JpegHeader | null, options: DecodeOptions): void {
  const problem = header && pixelLimitProblem(header.width, header.height, options.maxImagePixels);
  if (problem) throw new BadImageError(options.name, `JPEG ${problem}`);
}

/**
 * A plain JPEG (no rotation, RGB or grey: what `header`, from readJpegHeader, says) decoded by libjpeg directly (the
 * addon: about 0.7 ms for 500x375 against libvips' 2.4, the same pixels), or null for anything else and any JPEG the addon refuses (corrupt, truncated,
 * CMYK in disguise), which then goes to libvips. Synchronous on purpose: the pixels live in a buffer that the next
 * decode on this thread reuses, so the caller must be done with them before it awaits anything.
 */
export function decodeWithLibjpeg(input: Buffer, header: JpegHeader | null): RgbImage | null {
  const plain = header && header.orientation === 1 && header.components !== 4;
  // Beyond libvips' pixel limit, libvips answers (with its error) rather than this thread allocating gigabytes.
  const addon = plain && header.width * header.height <= MAX_PIXELS ? jpegAddon() : null;
  if (!header || !addon) return null;
  const bytes = header.width * header.height * 3;
  // The thread's buffer grows to the largest usual image and is kept; a rare huge one gets a buffer of its own.
  const out = bytes <= KEPT_BUFFER_BYTES ? keptBuffer(bytes) : new Uint8Array(bytes);
  try {
    const [width, height] = addon.decodeInto(input, out);
    return { data: out.subarray(0, width * height * 3), width, height };
  } catch {
    return null;
  }
}

/** sharp's default `limitInputPixels` (0x3FFF squared). */
const MAX_PIXELS = 0x3fff * 0x3fff;
/** 64 MB: a 5,000 x 4,000 photo fits. */
const KEPT_BUFFER_BYTES = 64 * 2 ** 20;

function keptBuffer(bytes: number): Uint8Array {
  if (decodeBuffer.length < bytes) {
    decodeBuffer = new Uint8Array(Math.min(KEPT_BUFFER_BYTES, Math.max(bytes, decodeBuffer.length * 2)));
  }
  return decodeBuffer;
}

/**
 * Any image file to 8-bit RGB in display orientation, with libvips (CMYK and greyscale converted, alpha dropped).
 * An image declaring more than `maxImagePixels` is refused from its header. Throws a {@link BadImageError} whose
 * reason is worked out from the bytes (`describeBadImage`), never libvips' message, which may be another thread's.
 */
export async function decodeWithLibvips(
  input: Buffer,
  options: DecodeOptions = { name: 'image', maxImagePixels: MAX_IMAGE_PIXELS },
): Promise<RgbImage> {
  let decoded: { data: Buffer; info: OutputInfo };
  try {
    decoded = await sharp(input, { failOn: 'truncated', limitInputPixels: sharpPixelLimit(options.maxImagePixels) })
      .autoOrient()
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch {
    throw new BadImageError(options.name, await describeBadImage(input, options.maxImagePixels));
  }
  const { data, info } = decoded;
  if (info.channels !== 3) throw new BadImageError(options.name, `decoded to ${info.channels} channels instead of 3`);
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    width: info.width,
    height: info.height,
  };
}

/** Where this thread's libjpeg decodes go (grown to the largest image met). */
let decodeBuffer = new Uint8Array(0);
