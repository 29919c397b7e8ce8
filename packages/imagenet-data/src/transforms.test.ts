import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadImage } from './load-image.js';
import { roundHalfEven } from './transforms/center-crop.js';
import {
  CenterCrop,
  ColorJitter,
  IMAGENET_PCA,
  Normalize,
  PcaLighting,
  paperEval,
  paperTrain,
  RandomCrop,
  RandomHorizontalFlip,
  RandomResizedCrop,
  Resize,
  referenceEval,
  referenceTrain,
  TenCrop,
  torchvisionEval,
} from './transforms.js';

/** Written by scripts/fixtures/torchvision_transforms.py with torchvision's PIL transforms. */
const pattern = new URL('../fixtures/pattern.png', import.meta.url).pathname;
const photo = new URL('../fixtures/photo.jpg', import.meta.url).pathname;
const grey = new URL('../fixtures/grey.jpg', import.meta.url).pathname;
const reference = JSON.parse(readFileSync(new URL('../fixtures/transforms.json', import.meta.url), 'utf8')) as Record<
  string,
  { shape: number[]; crops?: number; u8?: string; f32?: string }
>;

/** torchvision's float32 output for a case: ToTensor's k / 255 for 8-bit cases, else the stored float32 values. */
function expected(name: string): Float32Array {
  const { u8, f32 } = reference[name];
  if (u8) return Float32Array.from(Buffer.from(u8, 'base64'), (k) => k / 255);
  const bytes = Buffer.from(f32 as string, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

describe('transforms against torchvision, bit for bit', () => {
  it.each([
    ['centerCrop_20x31_normalize', pattern, [CenterCrop([20, 31]), Normalize()]],
    ['centerCrop_24', pattern, [CenterCrop(24)]],
    ['centerCrop_odd_offsets_21x30', pattern, [CenterCrop([21, 30])]],
    ['centerCrop_padded_40x60_normalize', pattern, [CenterCrop([40, 60]), Normalize()]],
    ['centerCrop_padded_40x60_normalize', pattern, [CenterCrop([40, 60]), ColorJitter({}), Normalize()]],
    ['resize_24', pattern, [Resize(24)]],
    ['resize_24_centerCrop_20', pattern, [Resize(24), CenterCrop(20)]],
    ['resize_30_bicubic', pattern, [Resize(30, 'bicubic')]],
    ['resize_24_nearest', pattern, [Resize(24, 'nearest')]],
    ['resize_45_enlarge_normalize', pattern, [Resize(45), Normalize()]],
    ['resize_45_bicubic_enlarge', pattern, [Resize(45, 'bicubic')]],
    ['resize_45_nearest_enlarge', pattern, [Resize(45, 'nearest')]],
    ['resize_20x60', pattern, [Resize([20, 60])]],
    ['photo_decode', photo, []],
    ['photo_resize_32_centerCrop_28_normalize', photo, [Resize(32), CenterCrop(28), Normalize()]],
    ['grey_resize_30_normalize', grey, [Resize(30), Normalize()]],
    ['tenCrop_12x16', pattern, [TenCrop([12, 16])]],
    ['tenCrop_12x16', pattern, [TenCrop([12, 16]), ColorJitter({})]],
  ] as const)('%s', async (name, file, transforms) => {
    const image = await loadImage(file, transforms, 0);
    expect([image.height, image.width, 3]).toEqual(reference[name].shape);
    expect(image.crops).toBe(reference[name].crops ?? 1);
    const want = expected(name);
    const differing = image.data.reduce((count, v, i) => count + (v === want[i] ? 0 : 1), 0);
    expect(differing, `${differing} of ${want.length} values differ`).toBe(0);
  });

  it("rounds centre-crop offsets half to even, as Python's round()", () => {
    expect([0.5, 1.5, 2.5, 2.4, 2.6, -0.5].map(roundHalfEven)).toEqual([0, 2, 2, 2, 3, 0]);
  });
});

describe('presets', () => {
  it('resize to 256 for 224 crops and in the same ratio for other sizes', () => {
    expect(paperTrain()).toEqual([
      Resize(256),
      CenterCrop(256),
      RandomCrop(224),
      RandomHorizontalFlip(),
      PcaLighting(0.1),
      Normalize(),
    ]);
    expect(paperEval()).toEqual([Resize(256), CenterCrop(256), TenCrop(224), Normalize()]);
    expect(referenceTrain(64)).toEqual([Resize(73), RandomHorizontalFlip(), RandomCrop(64), Normalize()]);
    expect(referenceEval(64)).toEqual([Resize(73), CenterCrop(64), Normalize()]);
    expect(torchvisionEval(224)).toEqual(referenceEval(224));
  });
});

describe('random transforms', () => {
  const full = async () => loadImage(pattern, [], 0);
  const pixel = (img: { data: Float32Array; width: number }, y: number, x: number) =>
    Array.from(img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));

  it('RandomCrop takes a window of the image, the same one for the same seed', async () => {
    const source = await full();
    const crops = await Promise.all([1, 1, 2].map((seed) => loadImage(pattern, [RandomCrop(10)], seed)));
    expect(Array.from(crops[0].data)).toEqual(Array.from(crops[1].data));
    expect(Array.from(crops[0].data)).not.toEqual(Array.from(crops[2].data));
    const found = [...Array(source.height - 9).keys()].some((top) =>
      [...Array(source.width - 9).keys()].some(
        (left) =>
          pixel(source, top, left).every((v, c) => v === crops[2].data[c]) &&
          pixel(source, top + 9, left + 9).every((v, c) => v === crops[2].data[(9 * 10 + 9) * 3 + c]),
      ),
    );
    expect(found).toBe(true);
    await expect(loadImage(pattern, [RandomCrop(100)], 1)).rejects.toThrow(/larger than the 37x53 image/);
  });

  it('Resize then crop gives exactly a window of the whole resized image (only the window is resized)', async () => {
    const resized = await loadImage(pattern, [Resize(30)], 0);
    const at = (top: number, left: number, flipped: boolean, y: number, x: number) =>
      pixel(resized, top + y, left + (flipped ? 19 - x : x));
    for (const seed of [1, 2, 3, 4]) {
      const crop = await loadImage(pattern, [Resize(30), RandomCrop(20), RandomHorizontalFlip()], seed);
      const cropPixel = (y: number, x: number) =>
        Array.from(crop.data.subarray((y * 20 + x) * 3, (y * 20 + x) * 3 + 3));
      const matches = (top: number, left: number, flipped: boolean) =>
        [...Array(20).keys()].every((y) =>
          [...Array(20).keys()].every((x) => at(top, left, flipped, y, x).every((v, c) => v === cropPixel(y, x)[c])),
        );
      const windows = [...Array(resized.height - 19).keys()].flatMap((top) =>
        [...Array(resized.width - 19).keys()].flatMap((left) =>
          [false, true].map((flipped) => ({ top, left, flipped })),
        ),
      );
      expect(
        windows.some(({ top, left, flipped }) => matches(top, left, flipped)),
        `seed ${seed}`,
      ).toBe(true);
    }
  });

  it('writes into a given slot when the output fits it, else into a new array', async () => {
    const transforms = [Resize(30), RandomCrop(20), Normalize()];
    const expected = await loadImage(pattern, transforms, 5);
    const batch = new Float32Array(new SharedArrayBuffer(3 * 20 * 20 * 3 * 4)).fill(7);
    const slot = batch.subarray(20 * 20 * 3, 2 * 20 * 20 * 3);
    const written = await loadImage(pattern, transforms, 5, { into: slot });
    expect(written.data).toBe(slot);
    expect(Array.from(slot)).toEqual(Array.from(expected.data));
    expect(batch[0]).toBe(7);
    expect(batch.at(-1)).toBe(7);
    const tooSmall = new Float32Array(10);
    const fresh = await loadImage(pattern, transforms, 5, { into: tooSmall });
    expect(fresh.data).not.toBe(tooSmall);
    expect(Array.from(fresh.data)).toEqual(Array.from(expected.data));
  });

  it('RandomHorizontalFlip mirrors with probability p', async () => {
    const source = await full();
    const flipped = await loadImage(pattern, [RandomHorizontalFlip(1)], 0);
    expect(pixel(flipped, 3, 0)).toEqual(pixel(source, 3, source.width - 1));
    const kept = await loadImage(pattern, [RandomHorizontalFlip(0)], 0);
    expect(Array.from(kept.data)).toEqual(Array.from(source.data));
  });

  it('TenCrop gives corners, centre and their mirrors', async () => {
    const source = await full();
    const ten = await loadImage(pattern, [TenCrop(8)], 0);
    expect(ten.crops).toBe(10);
    const crop = (k: number) => ({ data: ten.data.subarray(k * 8 * 8 * 3, (k + 1) * 8 * 8 * 3), width: 8 });
    expect(pixel(crop(0), 0, 0)).toEqual(pixel(source, 0, 0));
    expect(pixel(crop(3), 7, 7)).toEqual(pixel(source, source.height - 1, source.width - 1));
    // The second five are cut from the mirror image: its top-left crop mirrors the original's top-right corner.
    expect(pixel(crop(5), 0, 0)).toEqual(pixel(source, 0, source.width - 1));
    // torchvision refuses a ten-crop larger than the image, fused or not.
    const tooLarge = /TenCrop\(40x40\) is larger than the 37x53 image/;
    await expect(loadImage(pattern, [TenCrop(40)], 0)).rejects.toThrow(tooLarge);
    await expect(loadImage(pattern, [TenCrop(40), ColorJitter({})], 0)).rejects.toThrow(tooLarge);
  });

  it.each([
    [RandomHorizontalFlip(1), CenterCrop([20, 30])],
    [RandomHorizontalFlip(1), RandomCrop([17, 29]), CenterCrop([12, 21])],
    [Resize(41), RandomHorizontalFlip(), RandomCrop(30), RandomHorizontalFlip(), CenterCrop(27)],
    [CenterCrop(60), RandomHorizontalFlip(1)],
    [Resize(41), CenterCrop(41), RandomCrop(30), RandomHorizontalFlip(), PcaLighting(0.1)],
    [CenterCrop(60), RandomHorizontalFlip(), PcaLighting(0.5)],
    [Resize(41), CenterCrop(41), TenCrop(30)],
    [RandomHorizontalFlip(1), RandomCrop([30, 40]), TenCrop([20, 25])],
  ])(
    'the fused crop/flip/ten-crop/lighting/normalise pass equals step-by-step transforms (%#)',
    async (...pipeline) => {
      for (const seed of [1, 2, 3, 4]) {
        const fused = await loadImage(pattern, [...pipeline, Normalize()], seed);
        // ColorJitter({}) changes nothing (its last draws come after every other) but cannot be fused, so every
        // transform runs on its own.
        const stepwise = await loadImage(pattern, [...pipeline, ColorJitter({}), Normalize()], seed);
        expect([fused.height, fused.width]).toEqual([stepwise.height, stepwise.width]);
        expect(Array.from(fused.data), `seed ${seed}`).toEqual(Array.from(stepwise.data));
      }
    },
  );

  it('RandomResizedCrop returns the requested size', async () => {
    const out = await loadImage(pattern, [RandomResizedCrop(16)], 5);
    expect([out.height, out.width, out.crops]).toEqual([16, 16, 1]);
  });

  it('PcaLighting adds one RGB offset along ImageNet’s principal components to every pixel', async () => {
    const source = await full();
    const lit = await loadImage(pattern, [PcaLighting(0.1)], 3);
    const delta = [0, 1, 2].map((c) => lit.data[c] - source.data[c]);
    for (let p = 0; p < lit.data.length; p += 3) {
      for (let c = 0; c < 3; c++) expect(lit.data[p + c] - source.data[p + c]).toBeCloseTo(delta[c], 5);
    }
    // delta = eigvec @ (alpha * eigval): solve for alpha and check it is a plausible N(0, 0.1) draw.
    const { eigvec, eigval } = IMAGENET_PCA;
    const alpha = [0, 1, 2].map((j) => eigvec.reduce((s, row, i) => s + row[j] * delta[i], 0) / eigval[j]);
    expect(alpha.every((a) => Math.abs(a) < 0.6)).toBe(true);
    expect(delta.some((d) => Math.abs(d) > 1e-4)).toBe(true);
  });

  it('ColorJitter brightness scales pixels by a factor in [1 - b, 1 + b], clamped to [0, 1]', async () => {
    const source = await full();
    const jittered = await loadImage(pattern, [ColorJitter({ brightness: 0.4 })], 9);
    const ratios = Array.from(jittered.data).flatMap((v, i) =>
      source.data[i] > 0.05 && v < 1 ? [v / source.data[i]] : [],
    );
    expect(Math.max(...ratios) - Math.min(...ratios)).toBeLessThan(1e-5);
    expect(ratios[0]).toBeGreaterThanOrEqual(0.6);
    expect(ratios[0]).toBeLessThanOrEqual(1.4);
  });
});
