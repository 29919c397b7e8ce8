/**
 * The images an image passes through on its way to a batch, and the whole-image operations the step-by-step
 * transforms share (crop, mirror, 8-bit to float).
 */

/** 8-bit RGB pixels, rows top to bottom, `width * 3` bytes a row: what decoding gives and resampling takes. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Pixels in HWC RGB order, 8-bit until the first photometric transform, float in [0, 1] after. */
export interface Pixels {
  data: Uint8Array | Float32Array;
  width: number;
  height: number;
}

/** Decoded, transformed pixels: `crops` images of `height x width x 3`, float32, one after another. */
export interface DecodedImage {
  data: Float32Array;
  height: number;
  width: number;
  crops: number;
}

/** A window of `img`; parts outside it are zero (torchvision pads a crop larger than the image). */
export function crop(img: Pixels, top: number, left: number, height: number, width: number): Pixels {
  const out =
    img.data instanceof Float32Array ? new Float32Array(height * width * 3) : new Uint8Array(height * width * 3);
  for (let y = 0; y < height; y++) {
    const sy = top + y;
    if (sy < 0 || sy >= img.height) continue;
    const x0 = Math.max(0, -left);
    const x1 = Math.min(width, img.width - left);
    if (x1 <= x0) continue;
    const from = (sy * img.width + left + x0) * 3;
    out.set(img.data.subarray(from, from + (x1 - x0) * 3), (y * width + x0) * 3);
  }
  return { data: out, width, height };
}

/** `img` mirrored left to right. */
export function flip(img: Pixels): Pixels {
  const out = img.data instanceof Float32Array ? new Float32Array(img.data.length) : new Uint8Array(img.data.length);
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const from = (y * img.width + x) * 3;
      const to = (y * img.width + (img.width - 1 - x)) * 3;
      out[to] = img.data[from];
      out[to + 1] = img.data[from + 1];
      out[to + 2] = img.data[from + 2];
    }
  }
  return { data: out, width: img.width, height: img.height };
}

/** The 8-bit pixels a resize needs (colour transforms, which make float pixels, must come after it). */
export function eightBit(img: Pixels, name: string): RgbImage {
  if (img.data instanceof Float32Array) throw new Error(`${name} must come before colour transforms`);
  return img as RgbImage;
}

/** [0, 1] float pixels (ToTensor's k / 255) of 8-bit ones; float pixels as they are. */
export function toFloat(img: Pixels): Pixels {
  if (img.data instanceof Float32Array) return img;
  const data = new Float32Array(img.data.length);
  for (let i = 0; i < data.length; i++) data[i] = img.data[i] / 255;
  return { data, width: img.width, height: img.height };
}
