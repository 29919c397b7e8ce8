import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { RgbImage } from './pixels.js';
import { type Interpolation, resizeRgb } from './resample.js';

/** Noise with flat blocks at both extremes, so clamping and rounding are exercised. */
function image(height: number, width: number, seed: number): RgbImage {
  const data = new Uint8Array(height * width * 3);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const pixel = Math.floor(i / 3);
    const [y, x] = [Math.floor(pixel / width), pixel % width];
    data[i] = y < height / 3 && x < width / 3 ? 255 : y > (2 * height) / 3 && x > width / 2 ? 0 : s >>> 24;
  }
  return { data, height, width };
}

/** Rows and columns `window` of a full image. */
function cut(full: RgbImage, top: number, left: number, height: number, width: number): Uint8Array {
  const out = new Uint8Array(height * width * 3);
  for (let y = 0; y < height; y++) {
    out.set(
      full.data.subarray(((top + y) * full.width + left) * 3, ((top + y) * full.width + left + width) * 3),
      y * width * 3,
    );
  }
  return out;
}

describe('resizeRgb', () => {
  // Bit-for-bit agreement with Pillow is checked against torchvision's outputs in transforms.test.ts.
  it.each([
    [375, 500, 256, 341, 'bilinear'],
    [500, 375, 341, 256, 'bicubic'],
    [37, 53, 60, 86, 'bilinear'],
    [37, 53, 24, 34, 'nearest'],
    [40, 30, 40, 17, 'bicubic'],
    [40, 30, 13, 30, 'bilinear'],
    [33, 33, 33, 33, 'bilinear'],
  ] as const)('a window of %ix%i -> %ix%i (%s) equals that part of the whole resize', (h, w, oh, ow, interpolation) => {
    const source = image(h, w, h * w);
    const full = resizeRgb(source, oh, ow, interpolation as Interpolation);
    expect([full.height, full.width, full.data.length]).toEqual([oh, ow, oh * ow * 3]);
    let s = 7;
    for (let k = 0; k < 12; k++) {
      s = (Math.imul(s, 69069) + 1) >>> 0;
      const height = 1 + (s % oh);
      const width = 1 + ((s >>> 8) % ow);
      const top = (s >>> 16) % (oh - height + 1);
      const left = (s >>> 4) % (ow - width + 1);
      const window = resizeRgb(source, oh, ow, interpolation as Interpolation, { top, left, height, width });
      expect(window.data, `${height}x${width} at (${top}, ${left})`).toEqual(cut(full, top, left, height, width));
    }
  });

  it('leaves an image whose size does not change as it is', () => {
    const source = image(21, 34, 5);
    for (const interpolation of ['bilinear', 'bicubic', 'nearest'] as const) {
      expect(resizeRgb(source, 21, 34, interpolation).data).toEqual(source.data);
    }
  });

  it('grows its memory for large images and keeps giving the same answers', () => {
    const small = image(50, 70, 1);
    const before = resizeRgb(small, 31, 43, 'bilinear');
    const large = resizeRgb(image(2400, 3200, 2), 600, 800, 'bilinear');
    expect(large.data.length).toBe(600 * 800 * 3);
    expect(resizeRgb(small, 31, 43, 'bilinear').data).toEqual(before.data);
  });

  it('names a window outside the resized image', () => {
    expect(() => resizeRgb(image(10, 10, 1), 8, 8, 'bilinear', { top: 2, left: 0, height: 7, width: 8 })).toThrow(
      /window 7x8 at \(2, 0\) is outside the 8x8 resized image/,
    );
  });

  it('runs the committed WebAssembly of resample.wat', () => {
    // scripts/build-wasm.mjs --check exits non-zero when resample-wasm.ts is not what resample.wat assembles to.
    const script = new URL('../scripts/build-wasm.mjs', import.meta.url).pathname;
    expect(() => execFileSync(process.execPath, [script, '--check'], { stdio: 'pipe' })).not.toThrow();
  });
});
