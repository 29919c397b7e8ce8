import { expectClose } from '@alexnet/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { loadAddon, nativeBackendStatus, setNativeThreads, setNativeWinograd } from './index.js';
import { type Arrays, expectLikeCpu, input, numbers, runOn } from './kernel-test-helpers.js';

// The Winograd paths of 3x3 and 5x5 stride-1 convolutions (native/winograd.c): F(4x4, 3x3), F(2x2, 3x3), F(4x4, 5x5)
// and F(2x2, 5x5), each forced through the addon's tile switch and on with 'always' so that small shapes take them,
// against the CPU backend and against the direct path.

/** The addon itself, for its tile switch (not part of the backend's API: benchmarks and these tests use it). */
const addon = () => {
  const load = loadAddon();
  if (!load.addon) throw new Error(load.reason);
  return load.addon;
};

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

interface Case {
  /** Filter size, 3 or 5. */
  k: number;
  n: number;
  h: number;
  w: number;
  c: number;
  o: number;
  pad: Pad;
}

/** Seeded shapes: odd and even sizes down to 1, channel counts off the 8-lane vectors, pads 0-5 on each side. */
function randomCases(count: number, seed: number, k: number): Case[] {
  const random = numbers(seed);
  const pick = (values: number[]) => values[Math.floor(((random(1)[0] + 1) / 2) * values.length) % values.length];
  const cases: Case[] = [];
  for (let i = 0; i < count; i++) {
    const kind = i % 3;
    const rows = [pick([0, 1, 2, 3, 4, 5]), pick([0, 1, 2, 3])];
    const cols = [pick([0, 1, 2, 4]), pick([0, 1, 3, 5])];
    const pad: Pad = kind === 0 ? 'same' : kind === 1 ? 'valid' : ([[0, 0], rows, cols, [0, 0]] as Pad);
    // The padded image must hold the filter at least once.
    const padded = (pads: number[]) => (kind === 0 ? 0 : kind === 1 ? 0 : pads[0] + pads[1]);
    const least = (pads: number[]) => (kind === 0 ? 1 : k - padded(pads));
    cases.push({
      k,
      n: pick([1, 2, 3, 5]),
      h: Math.max(least(rows), pick([1, 2, 3, 4, 5, 7, 8, 13, 16])),
      w: Math.max(least(cols), pick([1, 2, 3, 6, 9, 11, 14])),
      c: pick([1, 3, 8, 9, 17, 33]),
      o: pick([1, 5, 8, 16, 19, 40]),
      pad,
    });
  }
  return cases;
}

const pads = (top: number, bottom: number, left: number, right: number): Pad => [
  [0, 0],
  [top, bottom],
  [left, right],
  [0, 0],
];

const CASES: Case[] = [
  { k: 3, n: 2, h: 13, w: 13, c: 24, o: 40, pad: 'same' }, // AlexNet's 3x3 layers in small
  { k: 5, n: 2, h: 27, w: 27, c: 12, o: 20, pad: 'same' }, // and its 5x5 one
  { k: 3, n: 1, h: 1, w: 1, c: 9, o: 7, pad: 'same' }, // one pixel: only the centre tap meets the image
  { k: 5, n: 1, h: 1, w: 2, c: 9, o: 7, pad: 'same' },
  // Pads past k - 1: the input gradient's are negative.
  { k: 3, n: 3, h: 6, w: 5, c: 16, o: 16, pad: pads(3, 0, 0, 4) },
  { k: 5, n: 2, h: 6, w: 5, c: 9, o: 16, pad: pads(5, 0, 1, 6) },
  ...randomCases(10, 2026, 3),
  ...randomCases(10, 1404, 5),
];

/** A convolution's output, and the gradients of a random weighting of it (so dy is no constant). */
function convAndGradients(spec: Case) {
  return (t: Record<string, tf.Tensor>) => {
    const y = tf.fused.conv2d({
      x: t.x as tf.Tensor4D,
      filter: t.f as tf.Tensor4D,
      strides: 1,
      pad: spec.pad,
      bias: t.b,
      activation: 'relu',
    });
    const plain = tf.conv2d(t.x as tf.Tensor4D, t.f as tf.Tensor4D, 1, spec.pad);
    const weights = tf.reshape(tf.sin(tf.range(0, plain.size)), plain.shape);
    const [dx, df] = tf.grads((x, f) =>
      tf.sum(tf.mul(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, spec.pad), weights)),
    )([t.x, t.f]);
    return [y, plain, dx, df];
  };
}

/**
 * F(2x2, 3x3) keeps within 1e-5 of the max; the other kinds' transforms multiply by up to 8 (F(4x4, 5x5) by up to 21)
 * and divide by 6 and 24 (F(4x4, 5x5) by 360), so they round more. Against float64 (`pnpm bench:winograd-accuracy`):
 * F(4x4, 5x5) on V2's conv2 shape 5.0e-6 forward and 4.3e-6 filter gradient (F(2x2, 5x5) 2.9e-6 and 7.7e-6), F(4x4, 3x3)
 * on conv4's 6.9e-6 and 1.2e-6; the direct path 2-3e-7.
 */
const tolerance = (spec: Case, tile: Tile) => (spec.k === 3 && tile === 2 ? 1e-5 : 3e-5);

/** The output tile: 4 (F(4x4, r x r), the rule's choice where both output sides are at least 4) or 2. */
type Tile = 2 | 4;
const TILES: Tile[] = [4, 2];

function inputsFor(spec: Case): Arrays {
  const random = numbers(spec.k * 104729 + spec.n * 7919 + spec.h * 101 + spec.w * 13 + spec.c * 3 + spec.o);
  return {
    x: input(random, spec.n, spec.h, spec.w, spec.c),
    f: input(random, spec.k, spec.k, spec.c, spec.o),
    b: input(random, spec.o),
  };
}

/** Whether two runs' outputs are bit for bit the same (toEqual walks millions of elements one by one: seconds). */
function sameBits(a: Float32Array[], b: Float32Array[]): boolean {
  const bytes = (x: Float32Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  return a.length === b.length && a.every((x, i) => bytes(x).equals(bytes(b[i])));
}

describe('Winograd convolutions', () => {
  const status = nativeBackendStatus();
  afterEach(() => {
    setNativeWinograd('auto');
    addon().setWinogradTile(0);
    if (status.available) setNativeThreads(status.threads);
  });

  const runs = CASES.flatMap((spec) => TILES.map((tile) => ({ tile, spec })));
  it.each(runs)(
    'match the CPU backend forward (bias + ReLU) and in both gradients: tile $tile, $spec',
    ({ tile, spec }) => {
      setNativeWinograd('always');
      addon().setWinogradTile(tile as Tile);
      expectLikeCpu('winograd', inputsFor(spec), convAndGradients(spec), tolerance(spec, tile as Tile));
    },
  );

  it.each([
    // 1024 input channels make an F(2x2, 3x3) chunk at most 128 tiles; 8 images of 20 x 19 are 800 tiles, 7 chunks.
    { tile: 2 as Tile, spec: { k: 3, n: 8, h: 20, w: 19, c: 1024, o: 24, pad: 'same' } as Case },
    // Kinds with 36 positions hold 16/36 as many: F(4x4, 3x3) 48 tiles (the least) for 2048 channels, of 200 (5 chunks);
    { tile: 4 as Tile, spec: { k: 3, n: 8, h: 20, w: 19, c: 2048, o: 16, pad: 'same' } as Case },
    // F(2x2, 5x5), also 36: 56 tiles for 1024 channels; 3 images of 20 x 19 are 300 tiles (6 chunks).
    { tile: 2 as Tile, spec: { k: 5, n: 3, h: 20, w: 19, c: 1024, o: 8, pad: 'same' } as Case },
    // F(4x4, 5x5)'s 64 positions: 48 tiles (the least) for 1024 channels; 8 images of 20 x 19 are 200 tiles (5 chunks).
    { tile: 4 as Tile, spec: { k: 5, n: 8, h: 20, w: 19, c: 1024, o: 8, pad: 'same' } as Case },
  ])(
    'agree with the direct path over several chunks, and give the same bits for any thread count: tile $tile, $spec',
    ({ tile, spec }) => {
      addon().setWinogradTile(tile);
      const inputs = inputsFor(spec);
      const op = convAndGradients(spec);
      setNativeWinograd('off');
      const direct = runOn('native', inputs, op);
      setNativeWinograd('always');
      const winograd = runOn('native', inputs, op);
      winograd.forEach((values, i) => {
        expectClose(values, direct[i], tolerance(spec, tile), `output ${i}`);
      });
      expect(sameBits(runOn('native', inputs, op), winograd)).toBe(true);
      // Each position's products are summed by one thread over the chunks in order, whatever the thread count.
      setNativeThreads(3);
      expect(sameBits(runOn('native', inputs, op), winograd)).toBe(true);
      setNativeThreads(1);
      expect(sameBits(runOn('native', inputs, op), winograd)).toBe(true);
    },
  );

  it.each([
    // With more threads than a few a position, each position's product is split into column blocks of the output
    // channels: 8 threads over F(2x2, 3x3)'s 16 positions make 2 blocks of 96 channels, 64 + 32 (256 tiles) ...
    { tile: 2 as Tile, threads: 8, spec: { k: 3, n: 4, h: 16, w: 16, c: 40, o: 96, pad: 'same' } as Case },
    // ... 12 threads over 36 positions 2 blocks (384 tiles), and 16 over F(2x2, 5x5)'s 36 positions 2 (64 + 36 channels).
    { tile: 4 as Tile, threads: 12, spec: { k: 3, n: 24, h: 16, w: 16, c: 8, o: 72, pad: 'same' } as Case },
    { tile: 2 as Tile, threads: 16, spec: { k: 5, n: 8, h: 16, w: 16, c: 8, o: 100, pad: 'same' } as Case },
    // F(4x4, 5x5)'s 64 positions take 32 threads for 2 blocks (1024 tiles, so that all 32 get a share).
    { tile: 4 as Tile, threads: 32, spec: { k: 5, n: 64, h: 16, w: 16, c: 8, o: 100, pad: 'same' } as Case },
  ])(
    'split each product into column blocks on many threads, with the same bits as on one: tile $tile, $threads threads',
    ({ tile, threads, spec }) => {
      setNativeWinograd('always');
      addon().setWinogradTile(tile);
      const inputs = inputsFor(spec);
      const op = convAndGradients(spec);
      setNativeThreads(1);
      const single = runOn('native', inputs, op);
      setNativeThreads(threads);
      expect(sameBits(runOn('native', inputs, op), single)).toBe(true);
      setNativeWinograd('off');
      runOn('native', inputs, op).forEach((values, i) => {
        expectClose(values, single[i], tolerance(spec, tile), `direct path, output ${i}`);
      });
    },
  );

  it('leaves an empty batch to the direct path, whose filter gradient is zeros', () => {
    setNativeWinograd('always');
    // batch, in_h, in_w, in_c, out_h, out_w, out_c, k_h, k_w, stride_h, stride_w, dil_h, dil_w, pad_top, pad_left
    const shape = Int32Array.from([0, 9, 9, 64, 9, 9, 64, 3, 3, 1, 1, 1, 1, 1, 1]);
    const dw = new Float32Array(3 * 3 * 64 * 64).fill(7);
    addon().conv2dBackpropFilter(shape, new Float32Array(0), new Float32Array(0), dw);
    expect(dw.every((v) => v === 0)).toBe(true);
  });

  it('is taken only where the rule says it pays, and can be switched off', () => {
    // Both channel counts at least 64 (32 for F(4x4, 5x5)); F(2x2, 3x3), taken for outputs under 4 on a side, also
    // 192 x 128 pairs.
    const taken: Case[] = [
      { k: 3, n: 1, h: 5, w: 5, c: 64, o: 64, pad: 'same' },
      { k: 5, n: 1, h: 5, w: 5, c: 64, o: 64, pad: 'same' },
      { k: 5, n: 1, h: 5, w: 5, c: 32, o: 96, pad: 'same' },
      { k: 3, n: 1, h: 3, w: 5, c: 192, o: 128, pad: 'same' },
    ];
    const left: Case[] = [
      { k: 3, n: 1, h: 5, w: 5, c: 48, o: 128, pad: 'same' },
      { k: 5, n: 1, h: 5, w: 5, c: 24, o: 96, pad: 'same' },
      // Outputs under 4 on a side take F(2x2, 5x5), which wants 64 channels.
      { k: 5, n: 1, h: 3, w: 5, c: 32, o: 96, pad: 'same' },
      { k: 3, n: 1, h: 3, w: 5, c: 128, o: 128, pad: 'same' },
    ];
    // The two paths round differently, so bit equality tells which one ran.
    const bits = (spec: Case, mode: 'off' | 'auto' | 'always') => {
      setNativeWinograd(mode);
      return runOn('native', inputsFor(spec), convAndGradients(spec));
    };
    for (const spec of taken) {
      expect(sameBits(bits(spec, 'auto'), bits(spec, 'always'))).toBe(true);
      expect(sameBits(bits(spec, 'auto'), bits(spec, 'off'))).toBe(false);
    }
    for (const spec of left) {
      expect(sameBits(bits(spec, 'auto'), bits(spec, 'off'))).toBe(true);
      expect(sameBits(bits(spec, 'auto'), bits(spec, 'always'))).toBe(false);
    }
  });

  it('reports its mode and refuses unknown ones', () => {
    setNativeWinograd('off');
    expect(nativeBackendStatus()).toMatchObject({ available: true, winograd: 'off' });
    setNativeWinograd('auto');
    expect(nativeBackendStatus()).toMatchObject({ winograd: 'auto' });
    expect(() => setNativeWinograd('sometimes' as never)).toThrow(/one of off, auto, always, got "sometimes"/);
    expect(nativeBackendStatus()).toMatchObject({ winograd: 'auto' });
  });
});
