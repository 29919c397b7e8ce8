import type { Generator } from '@alexnet/layers';
import { type RgbImage, resizeRgb } from './resample.js';
import { IMAGENET_PCA, sizePair, type Transform } from './transforms.js';

/** Pixels in HWC RGB order, 8-bit until the first photometric transform, float in [0, 1] after. */
export interface Pixels {
  data: Uint8Array | Float32Array;
  width: number;
  height: number;
}

/** torchvision's Resize target: an int sets the shorter side, the longer one truncated to an integer. */
export function resizeTarget(size: number | [number, number], height: number, width: number): [number, number] {
  if (typeof size !== 'number') return [size[0], size[1]];
  if (width <= height) return [Math.trunc((size * height) / width), size];
  return [size, Math.trunc((size * width) / height)];
}

/**
 * What one channel of a [0, 1] pixel becomes: PcaLighting's offset added (when given), then torchvision's Normalize
 * ((x - mean) / std), each step rounded to float32 as PyTorch computes it.
 */
export function pixelValue(
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

/**
 * Runs one transform on each image, torchvision's way (the general path; the usual pipelines take the one-pass
 * route of window-pass.ts). Randomness is drawn from `rng` in image order.
 */
export function applyTransform(transform: Transform, images: Pixels[], rng: Generator): Pixels[] {
  switch (transform.type) {
    case 'resize':
      return images.map((img) => {
        const [h, w] = resizeTarget(transform.size, img.height, img.width);
        return resizeRgb(eightBit(img, 'Resize'), h, w, transform.interpolation);
      });
    case 'centerCrop': {
      const [h, w] = sizePair(transform.size);
      return images.map((img) => crop(img, centerOffset(img.height, h), centerOffset(img.width, w), h, w));
    }
    case 'randomCrop': {
      const [h, w] = sizePair(transform.size);
      return images.map((img) => {
        const [top, left] = randomCropOffset(rng, img.height, img.width, h, w);
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
      // torchvision's ten_crop: five crops of the image, then five of its mirror image.
      const [h, w] = sizePair(transform.size);
      const fiveCrop = (img: Pixels) =>
        fiveCropOffsets(img.height, img.width, h, w).map(([top, left]) => crop(img, top, left, h, w));
      return images.flatMap((img) => [...fiveCrop(img), ...fiveCrop(flip(img))]);
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

/** Where RandomCrop puts an `h x w` crop on a `height x width` image: (top, left), drawn in that order. */
export function randomCropOffset(rng: Generator, height: number, width: number, h: number, w: number): number[] {
  if (height < h || width < w) {
    throw new Error(`RandomCrop(${h}x${w}) is larger than the ${height}x${width} image: resize first`);
  }
  const top = randomInt(rng, height - h);
  return [top, randomInt(rng, width - w)];
}

/** Where torchvision's five_crop cuts `h x w` crops of a `height x width` image: the four corners, then the centre. */
export function fiveCropOffsets(height: number, width: number, h: number, w: number): number[][] {
  if (height < h || width < w) {
    throw new Error(`TenCrop(${h}x${w}) is larger than the ${height}x${width} image: resize first`);
  }
  return [
    [0, 0],
    [0, width - w],
    [height - h, 0],
    [height - h, width - w],
    [centerOffset(height, h), centerOffset(width, w)],
  ];
}

/**
 * Where torchvision's center_crop starts a crop of `crop` pixels on an axis of `size`: Python's round of half the
 * margin; when the crop is larger, the image is first padded (the smaller half before it), so the crop starts that
 * half before the image.
 */
export function centerOffset(size: number, crop: number): number {
  return crop > size ? -((crop - size) >> 1) : roundHalfEven((size - crop) / 2);
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
    const w = roundHalfEven(Math.sqrt(targetArea * aspect));
    const h = roundHalfEven(Math.sqrt(targetArea / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      return { top: randomInt(rng, height - h), left: randomInt(rng, width - w), width: w, height: h };
    }
  }
  const inRatio = width / height;
  let w = width;
  let h = height;
  if (inRatio < Math.min(...ratio)) h = roundHalfEven(w / Math.min(...ratio));
  else if (inRatio > Math.max(...ratio)) w = roundHalfEven(h * Math.max(...ratio));
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
  // torchvision's rgb_to_grayscale on tensors (PIL's L conversion uses 0.299).
  const gray = (p: number) => 0.2989 * d[p] + 0.587 * d[p + 1] + 0.114 * d[p + 2];
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
export function pcaOffset(std: number, rng: Generator): number[] {
  const alpha = [rng.normal() * std, rng.normal() * std, rng.normal() * std];
  return IMAGENET_PCA.eigvec.map((row) => row.reduce((sum, v, j) => sum + v * alpha[j] * IMAGENET_PCA.eigval[j], 0));
}
