import type { RgbImage } from './pixels.js';
import { RESAMPLE_WASM } from './resample-wasm.js';

/** A rectangle in pixels. */
export interface Region {
  top: number;
  left: number;
  height: number;
  width: number;
}

/** The interpolations of torchvision's `Resize` on PIL images. */
export type Interpolation = 'bilinear' | 'bicubic' | 'nearest';

/**
 * The `window` of `image` resized to `height x width`, computed as Pillow's `Image.resize` computes it (which is
 * what torchvision's `Resize` runs on PIL images): bit for bit the same 8-bit values, for bilinear and bicubic
 * (antialiased when shrinking: the filter widens with the scale) and nearest. Only the source rows and columns the
 * window needs are read, so resizing then cropping costs about the crop's share of a full resize.
 */
export function resizeRgb(
  image: RgbImage,
  height: number,
  width: number,
  interpolation: Interpolation,
  window: Region = { top: 0, left: 0, height, width },
): RgbImage {
  if (
    window.top < 0 ||
    window.left < 0 ||
    window.top + window.height > height ||
    window.left + window.width > width ||
    window.height <= 0 ||
    window.width <= 0
  ) {
    throw new RangeError(
      `window ${window.height}x${window.width} at (${window.top}, ${window.left}) is outside the ${height}x${width} resized image`,
    );
  }
  if (interpolation === 'nearest') return nearest(image, height, width, window);
  const columns = weights(image.width, width, interpolation);
  const rows = weights(image.height, height, interpolation);
  return convolve(image, columns, rows, window);
}

/** Pillow's fixed point: coefficients are scaled by 2^22 (Resample.c, PRECISION_BITS for 8-bit images). */
const PRECISION_BITS = 22;

/** The resampling filters and their support (half width, in source pixels at scale 1), as Pillow defines them. */
const FILTERS = {
  bilinear: {
    support: 1,
    at: (value: number) => {
      const x = value < 0 ? -value : value;
      return x < 1 ? 1 - x : 0;
    },
  },
  bicubic: {
    support: 2,
    at: (value: number) => {
      const a = -0.5;
      const x = value < 0 ? -value : value;
      if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
      if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
      return 0;
    },
  },
} as const;

/**
 * One axis of a resize: for each output pixel, the first source pixel (`bounds[2i]`), how many follow
 * (`bounds[2i + 1]`) and their fixed-point weights (`taps` slots from `weights[i * taps]`).
 */
interface AxisWeights {
  bounds: Int32Array;
  weights: Int32Array;
  taps: number;
  /** Whether Pillow runs this pass at all (it skips an axis whose size does not change). */
  active: boolean;
}

const axisCache = new Map<string, AxisWeights>();

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc, cached (ImageNet has few distinct sizes). */
function weights(inSize: number, outSize: number, interpolation: 'bilinear' | 'bicubic'): AxisWeights {
  const key = `${inSize} ${outSize} ${interpolation}`;
  const cached = axisCache.get(key);
  if (cached) return cached;
  const filter = FILTERS[interpolation];
  const scale = inSize / outSize;
  const filterScale = Math.max(1, scale);
  const support = filter.support * filterScale;
  const inverseScale = 1 / filterScale; // Pillow multiplies by the reciprocal: not always the same bits as dividing
  const taps = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const fixed = new Int32Array(outSize * taps);
  const w = new Float64Array(taps);
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    // Pillow truncates toward zero here ((int) casts), then clamps to the image.
    const first = Math.max(0, Math.trunc(center - support + 0.5));
    const count = Math.min(inSize, Math.trunc(center + support + 0.5)) - first;
    let sum = 0;
    for (let t = 0; t < count; t++) {
      w[t] = filter.at((t + first - center + 0.5) * inverseScale);
      sum += w[t];
    }
    for (let t = 0; t < count; t++) {
      const v = sum !== 0 ? w[t] / sum : w[t];
      fixed[i * taps + t] = Math.trunc(v < 0 ? -0.5 + v * 2 ** PRECISION_BITS : 0.5 + v * 2 ** PRECISION_BITS);
    }
    bounds[2 * i] = first;
    bounds[2 * i + 1] = count;
  }
  const axis = { bounds, weights: fixed, taps, active: inSize !== outSize };
  if (axisCache.size > 256) axisCache.clear();
  axisCache.set(key, axis);
  return axis;
}

/** The WebAssembly passes (resample.wat) and their memory; one instance a thread, created on first use. */
interface Passes {
  memory: WebAssembly.Memory;
  horizontal(
    src: number,
    stride: number,
    rows: number,
    dst: number,
    cols: number,
    kk: number,
    bounds: number,
    ksize: number,
  ): void;
  vertical(src: number, rowLen: number, rows: number, dst: number, kk: number, bounds: number, ksize: number): void;
}

let passes: Passes | null = null;

function wasmPasses(): Passes {
  if (!passes) {
    const module = new WebAssembly.Module(Buffer.from(RESAMPLE_WASM, 'base64'));
    passes = new WebAssembly.Instance(module).exports as unknown as Passes;
  }
  return passes;
}

/** Bytes laid out one after another in the WebAssembly memory, each 16-aligned with 16 bytes of slack after it. */
class Arena {
  private end = 0;
  take(bytes: number): number {
    const at = this.end;
    this.end += Math.ceil((bytes + 16) / 16) * 16;
    return at;
  }
  /** Grows `memory` to hold everything taken; returns a fresh byte view of it. */
  commit(memory: WebAssembly.Memory): Uint8Array {
    const missing = this.end - memory.buffer.byteLength;
    if (missing > 0) memory.grow(Math.ceil(missing / 65536));
    return new Uint8Array(memory.buffer);
  }
}

/** The two-pass convolution resize of `window`, Pillow's order: horizontal (rounded to 8 bits), then vertical. */
function convolve(image: RgbImage, columns: AxisWeights, rows: AxisWeights, window: Region): RgbImage {
  const { top, left, height, width } = window;
  const [x0, x1] = sourceSpan(columns, left, width);
  const [y0, y1] = sourceSpan(rows, top, height);
  const srcStride = (x1 - x0) * 3;
  const rowLen = width * 3;

  const wasm = wasmPasses();
  const arena = new Arena();
  const hWeights = arena.take(width * columns.taps * 4);
  const hBounds = arena.take(width * 8);
  const vWeights = arena.take(height * rows.taps * 4);
  const vBounds = arena.take(height * 8);
  const src = arena.take((y1 - y0) * srcStride);
  const mid = columns.active ? arena.take((y1 - y0) * rowLen) : src;
  const out = rows.active ? arena.take(height * rowLen) : mid;
  const bytes = arena.commit(wasm.memory);
  const ints = new Int32Array(bytes.buffer);

  for (let y = y0; y < y1; y++) {
    const from = (y * image.width + x0) * 3;
    bytes.set(image.data.subarray(from, from + srcStride), src + (y - y0) * srcStride);
  }
  if (columns.active) {
    writeAxis(ints, columns, left, width, x0, hWeights, hBounds);
    wasm.horizontal(src, srcStride, y1 - y0, mid, width, hWeights, hBounds, columns.taps);
  }
  if (rows.active) {
    writeAxis(ints, rows, top, height, y0, vWeights, vBounds);
    wasm.vertical(mid, rowLen, height, out, vWeights, vBounds, rows.taps);
  }
  return { data: bytes.slice(out, out + height * rowLen), width, height };
}

/** The source pixels [first, end) that output pixels `start` to `start + count - 1` read on one axis. */
function sourceSpan(axis: AxisWeights, start: number, count: number): [number, number] {
  if (!axis.active) return [start, start + count];
  const last = 2 * (start + count - 1);
  return [axis.bounds[2 * start], axis.bounds[last] + axis.bounds[last + 1]];
}

/**
 * Copies one axis's weights and bounds for output pixels `start` to `start + count - 1` into the WebAssembly memory
 * (`ints`, at byte offsets `weightsAt` and `boundsAt`), with the bounds counted from source pixel `first`.
 */
function writeAxis(
  ints: Int32Array,
  axis: AxisWeights,
  start: number,
  count: number,
  first: number,
  weightsAt: number,
  boundsAt: number,
): void {
  ints.set(axis.weights.subarray(start * axis.taps, (start + count) * axis.taps), weightsAt / 4);
  for (let i = 0; i < count; i++) {
    ints[boundsAt / 4 + 2 * i] = axis.bounds[2 * (start + i)] - first;
    ints[boundsAt / 4 + 2 * i + 1] = axis.bounds[2 * (start + i) + 1];
  }
}

/**
 * Pillow's nearest-neighbour resize (an affine scale: the source of output pixel i is floor of a running sum that
 * starts at half a step, as ImagingScaleAffine adds it).
 */
function nearest(image: RgbImage, height: number, width: number, window: Region): RgbImage {
  const sourceOf = (inSize: number, outSize: number) => {
    const step = inSize / outSize;
    const table = new Int32Array(outSize);
    let at = step * 0.5;
    for (let i = 0; i < outSize; i++, at += step) table[i] = Math.min(inSize - 1, Math.trunc(at));
    return table;
  };
  const xs = sourceOf(image.width, width);
  const ys = sourceOf(image.height, height);
  const data = new Uint8Array(window.height * window.width * 3);
  let o = 0;
  for (let y = 0; y < window.height; y++) {
    const row = ys[window.top + y] * image.width;
    for (let x = 0; x < window.width; x++) {
      const p = (row + xs[window.left + x]) * 3;
      data[o++] = image.data[p];
      data[o++] = image.data[p + 1];
      data[o++] = image.data[p + 2];
    }
  }
  return { data, width: window.width, height: window.height };
}
