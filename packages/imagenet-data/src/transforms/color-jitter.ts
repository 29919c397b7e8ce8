import type { RandomGenerator } from '@alexnet/layers';
import { type Pixels, toFloat } from '../pixels.js';
import type { Transform } from '../transforms.js';
import type { TransformRunner } from './runner.js';

type ColorJitter = Extract<Transform, { type: 'colorJitter' }>;

/** `ColorJitter` on [0, 1] pixels, as torchvision's tensor implementation computes it (a step only). */
export const colorJitter: TransformRunner<ColorJitter> = {
  step: (transform, images, rng) => images.map((img) => jitter(toFloat(img), transform, rng)),
};

function jitter(img: Pixels, options: ColorJitter, rng: RandomGenerator): Pixels {
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
