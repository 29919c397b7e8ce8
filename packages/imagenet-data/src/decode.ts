import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isMainThread } from 'node:worker_threads';
import { Generator } from '@alexnet/layers';
import sharp from 'sharp';
import { readJpegHeader } from './jpeg-header.js';
import { jpegAddon } from './jpeg-native.js';
import { type RgbImage, resizeRgb } from './resample.js';
import { IMAGENET_PCA, sizePair, type Transform } from './transforms.js';

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

/** Pixels in HWC RGB order, 8-bit until the first photometric transform, float in [0, 1] after. */
interface Pixels {
  data: Uint8Array | Float32Array;
  width: number;
  height: number;
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

/**
 * A plain JPEG (no rotation, RGB or grey) decoded by libjpeg directly (the addon: about 0.7 ms for 500x375 against
 * libvips' 2.4, the same pixels), or null for anything else and any JPEG the addon refuses (corrupt, truncated,
 * CMYK in disguise), which then goes to libvips. Synchronous on purpose: the pixels live in a buffer that the next
 * decode on this thread reuses, so the caller must be done with them before it awaits anything.
 */
function decodeWithLibjpeg(input: Buffer): RgbImage | null {
  const header = readJpegHeader(input);
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

/** Any image file to 8-bit RGB in display orientation, with libvips (CMYK and greyscale converted, alpha dropped). */
async function decodeWithLibvips(input: Buffer): Promise<RgbImage> {
  const { data, info } = await sharp(input, { failOn: 'truncated' })
    .autoOrient()
    .toColourspace('srgb')
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels instead of 3`);
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    width: info.width,
    height: info.height,
  };
}

/** Where this thread's libjpeg decodes go (grown to the largest image met). */
let decodeBuffer = new Uint8Array(0);

type FusableTransform = Extract<
  Transform,
  { type: 'centerCrop' | 'randomCrop' | 'randomHorizontalFlip' | 'tenCrop' | 'pcaLighting' | 'normalize' }
>;

/**
 * The longest run at the end of the list that one pass can do: crops and flips, then a TenCrop or a PcaLighting,
 * then a Normalize (each at most once).
 */
function fusedTail(transforms: readonly Transform[]): FusableTransform[] {
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
interface Window {
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
function finish(images: Pixels[], tail: FusableTransform[], rng: Generator, into?: Float32Array): DecodedImage {
  return writeWindows(
    images.flatMap((img) => planWindows(img, tail, rng)),
    tail,
    into,
  );
}

/** The windows of `tail` on `img`: one, or TenCrop's ten (corners and centre, then the same mirrored). */
function planWindows(img: Pixels, tail: FusableTransform[], rng: Generator): Window[] {
  const view = planWindow(img, tail, rng);
  const tenCrop = tail.find((t) => t.type === 'tenCrop');
  if (!tenCrop) return [view];
  const [h, w] = sizePair(tenCrop.size);
  if (view.height < h || view.width < w) {
    throw new Error(`TenCrop(${h}x${w}) is larger than the ${view.height}x${view.width} image: resize first`);
  }
  const corners = [
    cropWindow(view, h, w, 0, 0),
    cropWindow(view, h, w, 0, view.width - w),
    cropWindow(view, h, w, view.height - h, 0),
    cropWindow(view, h, w, view.height - h, view.width - w),
    cropWindow(view, h, w, roundHalfEven((view.height - h) / 2), roundHalfEven((view.width - w) / 2)),
  ];
  return [...corners, ...corners.map((c) => ({ ...c, flipped: !c.flipped }))];
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
      view = cropWindow(view, h, w, roundHalfEven((view.height - h) / 2), roundHalfEven((view.width - w) / 2));
    } else if (t.type === 'randomCrop') {
      const [h, w] = sizePair(t.size);
      if (view.height < h || view.width < w) {
        throw new Error(`RandomCrop(${h}x${w}) is larger than the ${view.height}x${view.width} image: resize first`);
      }
      const dy = randomInt(rng, view.height - h);
      view = cropWindow(view, h, w, dy, randomInt(rng, view.width - w));
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
function writeWindows(windows: Window[], tail: FusableTransform[], into?: Float32Array): DecodedImage {
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

/**
 * What one channel of a [0, 1] pixel becomes: PcaLighting's offset added (when given), then torchvision's Normalize
 * ((x - mean) / std), each step rounded to float32 as PyTorch computes it.
 */
function pixelValue(
  normalize: { mean: number[]; std: number[] } | null,
  c: number,
  offset?: number,
): (x: number) => number {
  const f = Math.fround;
  const lit = offset === undefined ? (x: number) => x : (x: number) => f(x + offset);
  if (!normalize) return lit;
  const mean = f(normalize.mean[c]);
  const std = f(normalize.std[c]);
  return (x) => f(f(lit(x) - mean) / std);
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

/** torchvision's Resize target: an int sets the shorter side, the longer one truncated to an integer. */
export function resizeTarget(size: number | [number, number], height: number, width: number): [number, number] {
  if (typeof size !== 'number') return [size[0], size[1]];
  if (width <= height) return [Math.trunc((size * height) / width), size];
  return [size, Math.trunc((size * width) / height)];
}

function applyTransform(transform: Transform, images: Pixels[], rng: Generator): Pixels[] {
  switch (transform.type) {
    case 'resize':
      return images.map((img) => {
        const [h, w] = resizeTarget(transform.size, img.height, img.width);
        return resizeRgb(eightBit(img, 'Resize'), h, w, transform.interpolation);
      });
    case 'centerCrop': {
      const [h, w] = sizePair(transform.size);
      return images.map((img) =>
        crop(img, roundHalfEven((img.height - h) / 2), roundHalfEven((img.width - w) / 2), h, w),
      );
    }
    case 'randomCrop': {
      const [h, w] = sizePair(transform.size);
      return images.map((img) => {
        if (img.height < h || img.width < w) {
          throw new Error(`RandomCrop(${h}x${w}) is larger than the ${img.height}x${img.width} image: resize first`);
        }
        const top = randomInt(rng, img.height - h);
        const left = randomInt(rng, img.width - w);
        return crop(img, top, left, h, w);
      });
    }
    case 'randomResizedCrop': {
      const [h, w] = sizePair(transform.size);
      // torchvision's resized_crop: crop, then resize the crop.
      return images.map((img) => {
        const box = randomResizedCropBox(img.height, img.width, transform.scale, transform.ratio, rng);
        const region = eightBit(crop(img, box.top, box.left, box.height, box.width), 'RandomResizedCrop');
        return resizeRgb(region, h, w, transform.interpolation);
      });
    }
    case 'randomHorizontalFlip':
      return images.map((img) => (rng.uniform() < transform.p ? flip(img) : img));
    case 'tenCrop': {
      const [h, w] = sizePair(transform.size);
      return images.flatMap((img) => {
        if (img.height < h || img.width < w) {
          throw new Error(`TenCrop(${h}x${w}) is larger than the ${img.height}x${img.width} image: resize first`);
        }
        const corners = [
          crop(img, 0, 0, h, w),
          crop(img, 0, img.width - w, h, w),
          crop(img, img.height - h, 0, h, w),
          crop(img, img.height - h, img.width - w, h, w),
          crop(img, roundHalfEven((img.height - h) / 2), roundHalfEven((img.width - w) / 2), h, w),
        ];
        return [...corners, ...corners.map(flip)];
      });
    }
    case 'colorJitter':
      return images.map((img) => colorJitter(toFloat(img), transform, rng));
    case 'pcaLighting':
      return images.map((img) => pcaLighting(toFloat(img), transform.std, rng));
    case 'normalize':
      return images.map((img) => {
        const f = toFloat(img);
        const d = f.data as Float32Array;
        const channel = [0, 1, 2].map((c) => pixelValue(transform, c));
        for (let p = 0; p < d.length; p += 3) {
          for (let c = 0; c < 3; c++) d[p + c] = channel[c](d[p + c]);
        }
        return f;
      });
    default:
      throw new Error(`Unknown transform ${JSON.stringify(transform)}`);
  }
}

/** Python's round(): halves go to the even neighbour (torchvision's CenterCrop offsets use it). */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** A uniform integer in [0, max]. */
function randomInt(rng: Generator, max: number): number {
  return Math.min(max, Math.floor(rng.uniform() * (max + 1)));
}

/** A window of `img`; parts outside it are zero (torchvision pads a crop larger than the image). */
function crop(img: Pixels, top: number, left: number, height: number, width: number): Pixels {
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

function flip(img: Pixels): Pixels {
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
function eightBit(img: Pixels, name: string): RgbImage {
  if (img.data instanceof Float32Array) throw new Error(`${name} must come before colour transforms`);
  return img as RgbImage;
}

/** torchvision's RandomResizedCrop.get_params: ten tries at a random area and ratio, then a centred fallback. */
function randomResizedCropBox(
  height: number,
  width: number,
  scale: [number, number],
  ratio: [number, number],
  rng: Generator,
): { top: number; left: number; width: number; height: number } {
  const area = height * width;
  const logRatio = [Math.log(ratio[0]), Math.log(ratio[1])];
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * (scale[0] + (scale[1] - scale[0]) * rng.uniform());
    const aspect = Math.exp(logRatio[0] + (logRatio[1] - logRatio[0]) * rng.uniform());
    const w = Math.round(Math.sqrt(targetArea * aspect));
    const h = Math.round(Math.sqrt(targetArea / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      return { top: randomInt(rng, height - h), left: randomInt(rng, width - w), width: w, height: h };
    }
  }
  const inRatio = width / height;
  let w = width;
  let h = height;
  if (inRatio < Math.min(...ratio)) h = Math.round(w / Math.min(...ratio));
  else if (inRatio > Math.max(...ratio)) w = Math.round(h * Math.max(...ratio));
  return { top: Math.floor((height - h) / 2), left: Math.floor((width - w) / 2), width: w, height: h };
}

function toFloat(img: Pixels): Pixels {
  if (img.data instanceof Float32Array) return img;
  const data = new Float32Array(img.data.length);
  for (let i = 0; i < data.length; i++) data[i] = img.data[i] / 255;
  return { data, width: img.width, height: img.height };
}

function colorJitter(
  img: Pixels,
  options: { brightness: number; contrast: number; saturation: number; hue: number },
  rng: Generator,
): Pixels {
  const d = img.data as Float32Array;
  const factor = (x: number) => Math.max(0, 1 - x) + (1 + x - Math.max(0, 1 - x)) * rng.uniform();
  const order = [0, 1, 2, 3];
  for (let i = 3; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const b = options.brightness ? factor(options.brightness) : null;
  const c = options.contrast ? factor(options.contrast) : null;
  const s = options.saturation ? factor(options.saturation) : null;
  const h = options.hue ? -options.hue + 2 * options.hue * rng.uniform() : null;
  const clamp = (v: number) => (v < 0 ? 0 : Math.min(v, 1));
  const gray = (p: number) => 0.299 * d[p] + 0.587 * d[p + 1] + 0.114 * d[p + 2];
  for (const op of order) {
    if (op === 0 && b !== null) for (let i = 0; i < d.length; i++) d[i] = clamp(d[i] * b);
    if (op === 1 && c !== null) {
      let mean = 0;
      for (let p = 0; p < d.length; p += 3) mean += gray(p);
      mean /= d.length / 3;
      for (let i = 0; i < d.length; i++) d[i] = clamp(c * d[i] + (1 - c) * mean);
    }
    if (op === 2 && s !== null) {
      for (let p = 0; p < d.length; p += 3) {
        const g = gray(p);
        for (let k = 0; k < 3; k++) d[p + k] = clamp(s * d[p + k] + (1 - s) * g);
      }
    }
    if (op === 3 && h !== null) for (let p = 0; p < d.length; p += 3) shiftHue(d, p, h);
  }
  return img;
}

/** Shifts the hue of the pixel at `p` by `shift` turns (HSV round trip). */
function shiftHue(d: Float32Array, p: number, shift: number): void {
  const [r, g, b] = [d[p], d[p + 1], d[p + 2]];
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const delta = max - min;
  if (delta === 0) return;
  let hue = max === r ? ((g - b) / delta) % 6 : max === g ? (b - r) / delta + 2 : (r - g) / delta + 4;
  hue = (((hue / 6 + shift) % 1) + 1) % 1;
  const sat = delta / max;
  const i = Math.floor(hue * 6);
  const f = hue * 6 - i;
  const [pp, q, t] = [max * (1 - sat), max * (1 - f * sat), max * (1 - (1 - f) * sat)];
  const rgb = [
    [max, t, pp],
    [q, max, pp],
    [pp, max, t],
    [pp, q, max],
    [t, pp, max],
    [max, pp, q],
  ][i % 6];
  d[p] = rgb[0];
  d[p + 1] = rgb[1];
  d[p + 2] = rgb[2];
}

function pcaLighting(img: Pixels, std: number, rng: Generator): Pixels {
  const d = img.data as Float32Array;
  const delta = pcaOffset(std, rng);
  for (let p = 0; p < d.length; p += 3) {
    d[p] += delta[0];
    d[p + 1] += delta[1];
    d[p + 2] += delta[2];
  }
  return img;
}

/** The paper's lighting noise: alpha ~ N(0, std) per principal component, offset = eigvec @ (alpha * eigval). */
function pcaOffset(std: number, rng: Generator): number[] {
  const alpha = [rng.normal() * std, rng.normal() * std, rng.normal() * std];
  return IMAGENET_PCA.eigvec.map((row) => row.reduce((sum, v, j) => sum + v * alpha[j] * IMAGENET_PCA.eigval[j], 0));
}
