import type { Generator } from '@alexnet/layers';
import type { DecodedImage } from './decode.js';
import { centerOffset, fiveCropOffsets, type Pixels, pcaOffset, pixelValue, randomCropOffset } from './steps.js';
import { sizePair, type Transform } from './transforms.js';

// The one pass of the usual pipelines: crops, flips and TenCrop become windows over the (resized) image, PcaLighting
// and Normalize a table of float32 values, and the output is written once.

export type FusableTransform = Extract<
  Transform,
  { type: 'centerCrop' | 'randomCrop' | 'randomHorizontalFlip' | 'tenCrop' | 'pcaLighting' | 'normalize' }
>;

/**
 * The longest run at the end of the list that one pass can do: crops and flips, then a TenCrop or a PcaLighting,
 * then a Normalize (each at most once).
 */
export function fusedTail(transforms: readonly Transform[]): FusableTransform[] {
  let start = transforms.length;
  if (transforms[start - 1]?.type === 'normalize') start -= 1;
  const type = transforms[start - 1]?.type;
  if (type === 'pcaLighting' || type === 'tenCrop') start -= 1;
  const cropOrFlip = (t: Transform) =>
    t.type === 'centerCrop' || t.type === 'randomCrop' || t.type === 'randomHorizontalFlip';
  while (start > 0 && cropOrFlip(transforms[start - 1])) start -= 1;
  return transforms.slice(start) as FusableTransform[];
}

/** A window over an image: where it starts, its size, whether it is mirrored, and its PCA lighting offset. */
export interface Window {
  img: Pixels;
  top: number;
  left: number;
  height: number;
  width: number;
  flipped: boolean;
  /** The RGB offset PcaLighting adds (to [0, 1] values), when the tail has one. */
  lighting?: number[];
}

/** The `h x w` window at offset (dy, dx) of `view`, offsets counted as the viewer sees it (mirrored if flipped). */
function cropWindow(view: Window, h: number, w: number, dy: number, dx: number): Window {
  return {
    ...view,
    top: view.top + dy,
    left: view.left + (view.flipped ? view.width - w - dx : dx),
    height: h,
    width: w,
  };
}

/** Runs the fused tail on each image as windows (top, left, size, mirrored) and writes float32 output once. */
export function finish(images: Pixels[], tail: FusableTransform[], rng: Generator, into?: Float32Array): DecodedImage {
  return writeWindows(
    images.flatMap((img) => planWindows(img, tail, rng)),
    tail,
    into,
  );
}

/**
 * The windows of `tail` on `img`: one, or TenCrop's ten as torchvision cuts them: five (corners, then centre) of the
 * image, then five of its mirror image.
 */
export function planWindows(img: Pixels, tail: FusableTransform[], rng: Generator): Window[] {
  const view = planWindow(img, tail, rng);
  const tenCrop = tail.find((t) => t.type === 'tenCrop');
  if (!tenCrop) return [view];
  const [h, w] = sizePair(tenCrop.size);
  const fiveCrop = (v: Window) =>
    fiveCropOffsets(v.height, v.width, h, w).map(([dy, dx]) => cropWindow(v, h, w, dy, dx));
  return [...fiveCrop(view), ...fiveCrop({ ...view, flipped: !view.flipped })];
}

/**
 * Where the crops and flips of `tail` put their window on `img`, and the lighting offset it draws. Only the image's
 * size is read (and `rng`, in the transforms' order), so the plan can be made before the pixels exist.
 */
function planWindow(img: Pixels, tail: FusableTransform[], rng: Generator): Window {
  let view: Window = { img, top: 0, left: 0, height: img.height, width: img.width, flipped: false };
  for (const t of tail) {
    if (t.type === 'centerCrop') {
      const [h, w] = sizePair(t.size);
      view = cropWindow(view, h, w, centerOffset(view.height, h), centerOffset(view.width, w));
    } else if (t.type === 'randomCrop') {
      const [h, w] = sizePair(t.size);
      const [dy, dx] = randomCropOffset(rng, view.height, view.width, h, w);
      view = cropWindow(view, h, w, dy, dx);
    } else if (t.type === 'randomHorizontalFlip') {
      if (rng.uniform() < t.p) view = { ...view, flipped: !view.flipped };
    } else if (t.type === 'pcaLighting') {
      view = { ...view, lighting: pcaOffset(t.std, rng) };
    }
  }
  return view;
}

/**
 * The windows' pixels as float32, mirrored where flipped, lit where the tail has PcaLighting, normalised if it ends
 * with Normalize.
 */
export function writeWindows(windows: Window[], tail: FusableTransform[], into?: Float32Array): DecodedImage {
  const last = tail.at(-1);
  const normalize = last?.type === 'normalize' ? last : null;
  const { width, height } = windows[0];
  const length = windows.length * width * height * 3;
  const out = into?.length === length ? into : new Float32Array(length);
  let o = 0;
  for (const view of windows) {
    const { img, lighting } = view;
    const channel = [0, 1, 2].map((c) => pixelValue(normalize, c, lighting?.[c]));
    // 8-bit pixels go through a table of the 256 values each channel can take.
    const table =
      img.data instanceof Uint8Array ? (lighting ? valueTable(channel) : floatTable(normalize, channel)) : null;
    const inside = view.top >= 0 && view.left >= 0 && view.top + height <= img.height && view.left + width <= img.width;
    if (inside && table) {
      writeEightBitWindow(view, table, out, o);
      o += width * height * 3;
      continue;
    }
    // Outside the image (a crop larger than it), torchvision pads with zeros, then lights and normalises them.
    const padding = channel.map((value) => value(0));
    const [n0, n1, n2] = channel;
    const pixels = img.data;
    const step = view.flipped ? -1 : 1;
    const firstX = view.left + (view.flipped ? width - 1 : 0);
    for (let y = 0; y < height; y++) {
      const sy = view.top + y;
      const rowInside = sy >= 0 && sy < img.height;
      let p = (sy * img.width + firstX) * 3;
      for (let x = 0, sx = firstX; x < width; x++, sx += step, p += 3 * step) {
        if (!rowInside || sx < 0 || sx >= img.width) {
          out[o++] = padding[0];
          out[o++] = padding[1];
          out[o++] = padding[2];
        } else if (table) {
          out[o++] = table[pixels[p]];
          out[o++] = table[256 + pixels[p + 1]];
          out[o++] = table[512 + pixels[p + 2]];
        } else {
          out[o++] = n0(pixels[p]);
          out[o++] = n1(pixels[p + 1]);
          out[o++] = n2(pixels[p + 2]);
        }
      }
    }
  }
  return { data: out, height, width, crops: windows.length };
}

/**
 * The common case, kept tight: a window inside 8-bit pixels, through the table of torchvision's float32 values
 * (a quarter of the loader's time per image went to the general loop).
 */
function writeEightBitWindow(view: Window, table: Float32Array, out: Float32Array, offset: number): void {
  const { img, height, width } = view;
  const pixels = img.data as Uint8Array;
  const red = table.subarray(0, 256);
  const green = table.subarray(256, 512);
  const blue = table.subarray(512, 768);
  const step = view.flipped ? -3 : 3;
  let o = offset;
  for (let y = 0; y < height; y++) {
    let p = ((view.top + y) * img.width + view.left + (view.flipped ? width - 1 : 0)) * 3;
    for (let x = 0; x < width; x++, p += step) {
      out[o] = red[pixels[p]];
      out[o + 1] = green[pixels[p + 1]];
      out[o + 2] = blue[pixels[p + 2]];
      o += 3;
    }
  }
}

/** The 768 float32 values (3 channels x 256 levels) of 8-bit pixels after ToTensor (k / 255) and `channel`. */
function valueTable(channel: Array<(x: number) => number>): Float32Array {
  const table = new Float32Array(768);
  for (let c = 0; c < 3; c++) {
    for (let v = 0; v < 256; v++) table[c * 256 + v] = channel[c](Math.fround(v / 255));
  }
  return table;
}

const floatTables = new Map<string, Float32Array>();

/** {@link valueTable} without lighting, cached by the Normalize constants. */
function floatTable(normalize: { mean: number[]; std: number[] } | null, channel: Array<(x: number) => number>) {
  const key = normalize ? `${normalize.mean} ${normalize.std}` : '';
  let table = floatTables.get(key);
  if (!table) {
    table = valueTable(channel);
    floatTables.set(key, table);
  }
  return table;
}
