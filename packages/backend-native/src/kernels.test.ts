import { expectClose } from '@alexnet/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { loadAddon, nativeBackendStatus, setNativeIsa, setNativeThreads } from './index.js';
import { expectLikeCpu, input, numbers, runOn } from './kernel-test-helpers.js';
import { repeatLayout } from './kernel-utils/binary-op.js';

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

const CONV_CASES: Array<{
  n: number;
  h: number;
  w: number;
  c: number;
  k: number;
  o: number;
  stride: number;
  pad: Pad;
  dilation?: number;
}> = [
  { n: 1, h: 7, w: 9, c: 3, k: 3, o: 5, stride: 1, pad: 'same' },
  { n: 3, h: 13, w: 13, c: 5, k: 5, o: 7, stride: 2, pad: 'valid' },
  { n: 5, h: 23, w: 19, c: 3, k: 11, o: 17, stride: 4, pad: 2 },
  { n: 2, h: 6, w: 6, c: 17, k: 1, o: 33, stride: 1, pad: 'valid' },
  {
    n: 4,
    h: 9,
    w: 8,
    c: 2,
    k: 3,
    o: 1,
    stride: 3,
    pad: [
      [0, 0],
      [1, 2],
      [0, 3],
      [0, 0],
    ],
  },
  { n: 1, h: 1, w: 1, c: 4, k: 1, o: 3, stride: 1, pad: 'same' },
  { n: 2, h: 11, w: 10, c: 3, k: 3, o: 4, stride: 1, pad: 'same', dilation: 2 },
];

describe('convolution kernels match the CPU backend', () => {
  it.each(CONV_CASES)('conv2d, fused bias + ReLU and both gradients: %o', (spec) => {
    const random = numbers(spec.n * 1000 + spec.k * 10 + spec.o);
    const inputs = {
      x: input(random, spec.n, spec.h, spec.w, spec.c),
      f: input(random, spec.k, spec.k, spec.c, spec.o),
      b: input(random, spec.o),
    };
    const dilations = spec.dilation ?? 1;
    const conv = (t: Record<string, tf.Tensor>) =>
      tf.conv2d(t.x as tf.Tensor4D, t.f as tf.Tensor4D, spec.stride, spec.pad, 'NHWC', dilations);
    expectLikeCpu('conv2d', inputs, conv);
    expectLikeCpu('fused conv2d', inputs, (t) =>
      tf.fused.conv2d({
        x: t.x as tf.Tensor4D,
        filter: t.f as tf.Tensor4D,
        strides: spec.stride,
        pad: spec.pad,
        dilations,
        bias: t.b,
        activation: 'relu',
      }),
    );
    // TF.js differentiates convolutions only without dilation.
    if (dilations === 1) {
      expectLikeCpu('conv2d gradients', inputs, (t) => {
        const grads = tf.grads((x, f, b) =>
          tf.sum(
            tf.mul(
              tf.fused.conv2d({
                x: x as tf.Tensor4D,
                filter: f as tf.Tensor4D,
                strides: spec.stride,
                pad: spec.pad,
                bias: b,
                activation: 'relu',
              }),
              1.5,
            ),
          ),
        )([t.x, t.f, t.b]);
        return grads;
      });
    }
  });

  it('hands activations it does not implement to the CPU kernel', () => {
    const random = numbers(7);
    const inputs = { x: input(random, 2, 5, 5, 3), f: input(random, 3, 3, 3, 4), b: input(random, 4) };
    expectLikeCpu('elu', inputs, (t) =>
      tf.fused.conv2d({
        x: t.x as tf.Tensor4D,
        filter: t.f as tf.Tensor4D,
        strides: 1,
        pad: 'same',
        bias: t.b,
        activation: 'elu',
      }),
    );
  });
});

describe('matrix products match the CPU backend', () => {
  const cases: Array<[number[], number[], boolean, boolean]> = [
    [[1, 1], [1, 1], false, false],
    [[7, 13], [13, 5], false, false],
    [[13, 7], [13, 5], true, false],
    [[7, 13], [5, 13], false, true],
    [[13, 7], [5, 13], true, true],
    [[3, 70, 33], [3, 33, 41], false, false],
    [[2, 3, 4, 6], [6, 5], false, false],
    [[6, 4], [2, 6, 5], true, false],
    [[40, 300], [300, 17], false, false],
    // B transposed with whole 32-column slivers and depths off the 8 x 8 transpose blocks (a dense layer's dy w^T).
    [[33, 70], [77, 70], false, true],
    [[5, 203], [64, 203], false, true],
    [[2, 3, 9], [2, 40, 9], false, true],
  ];
  it.each(cases)('%o x %o (transposeA %s, transposeB %s) with gradients', (aShape, bShape, ta, tb) => {
    const random = numbers(aShape.length * 31 + bShape[0]);
    const inputs = { a: input(random, ...aShape), b: input(random, ...bShape) };
    expectLikeCpu('matMul', inputs, (t) => tf.matMul(t.a, t.b, ta, tb));
    // TF.js's own gradient does not reduce over broadcast batch dimensions (it fails on the CPU backend too).
    if (aShape.length !== bShape.length) return;
    expectLikeCpu('matMul gradients', inputs, (t) =>
      tf.grads((a, b) => tf.sum(tf.square(tf.matMul(a, b, ta, tb))))([t.a, t.b]),
    );
  });

  it('fuses a bias (per column or scalar) and ReLU, with gradients', () => {
    const random = numbers(11);
    const inputs = {
      a: input(random, 9, 20),
      b: input(random, 20, 30),
      bias: input(random, 30),
      one: input(random, 1),
    };
    expectLikeCpu('fused', inputs, (t) => [
      tf.fused.matMul({ a: t.a as tf.Tensor2D, b: t.b as tf.Tensor2D, bias: t.bias, activation: 'relu' }),
      tf.fused.matMul({ a: t.a as tf.Tensor2D, b: t.b as tf.Tensor2D, bias: t.one }),
      ...tf.grads((a, b, bias) =>
        tf.sum(tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias, activation: 'relu' })),
      )([t.a, t.b, t.bias]),
    ]);
  });
});

describe('pooling, LRN, ReLU and sums match the CPU backend', () => {
  const poolCases: Array<[number[], number, number, 'same' | 'valid']> = [
    [[2, 13, 13, 5], 3, 2, 'valid'],
    [[3, 8, 11, 3], 3, 2, 'same'],
    [[1, 5, 5, 1], 2, 2, 'valid'],
    [[2, 7, 7, 4], 1, 1, 'valid'],
    [[4, 27, 27, 16], 3, 2, 'valid'],
  ];
  it.each(poolCases)('max pool %o, window %d, stride %d, %s, with its gradient', (shape, window, stride, pad) => {
    const random = numbers(shape[1] * 7 + window);
    const inputs = { x: input(random, ...shape) };
    const pool = (x: tf.Tensor) => tf.maxPool(x as tf.Tensor4D, window, stride, pad);
    expectLikeCpu('maxPool', inputs, (t) => [pool(t.x), ...tf.grads((x) => tf.sum(tf.mul(pool(x), pool(x))))([t.x])]);
  });

  // Values on a coarse grid, so that overlapping windows (3x3, stride 2, as in AlexNet) share maxima: the gradient
  // must go to the first maximum of each window in row-major order and add up where windows share it. Rows of dx are
  // the threads' work items, so batch 1 splits one image's rows; all-negative values check that 'same' padding is
  // never a maximum.
  const tieCases: Array<[number[], number, number, 'same' | 'valid', number]> = [
    [[1, 13, 13, 7], 3, 2, 'valid', 0],
    [[3, 12, 11, 5], 3, 2, 'same', 0],
    [[1, 27, 27, 64], 3, 2, 'valid', 0],
    [[3, 9, 10, 33], 3, 2, 'same', -2],
    [[2, 11, 11, 17], 3, 1, 'same', 0],
    [[1, 8, 8, 3], 2, 2, 'valid', 0],
  ];
  it.each(tieCases)(
    'max pool %o, window %d, stride %d, %s, with ties (offset %d), and its gradient',
    (shape, window, stride, pad, offset) => {
      const random = numbers(shape[1] * 11 + shape[3]);
      const grid = input(random, ...shape);
      const inputs = { x: { ...grid, values: grid.values.map((v) => Math.round(v * 2) / 2 + offset) } };
      const pool = (x: tf.Tensor) => tf.maxPool(x as tf.Tensor4D, window, stride, pad);
      const weights = (y: tf.Tensor) => tf.range(1, tf.util.sizeFromShape(y.shape) + 1).reshape(y.shape);
      expectLikeCpu('maxPool ties', inputs, (t) => [
        pool(t.x),
        ...tf.grads((x) => {
          const y = pool(x);
          return tf.sum(tf.mul(y, weights(y)));
        })([t.x]),
      ]);
    },
  );

  it.each([[[3, 7, 7, 5]], [[1, 7, 7, 5]]])(
    'gives no pooling gradient to windows of only -Infinity or NaN, and skips NaN for the maximum (%o)',
    (shape) => {
      const levels = [Number.NEGATIVE_INFINITY, Number.NaN, 0, 1];
      const random = numbers(shape[0] * 3 + 1);
      const grid = input(random, ...shape);
      // Mostly -Infinity and NaN, so that some 3x3 windows hold nothing else.
      const values = grid.values.map((v) => levels[Math.min(3, Math.floor((v + 1) * 2.2))]);
      const pool = (x: tf.Tensor) => tf.maxPool(x as tf.Tensor4D, 3, 2, 'same');
      expectLikeCpu('maxPool -inf/NaN', { x: { shape, values } }, (t) =>
        tf.grads((x) => {
          const y = pool(x);
          return tf.sum(tf.mul(y, tf.range(1, tf.util.sizeFromShape(y.shape) + 1).reshape(y.shape)));
        })([t.x]),
      );
    },
  );

  it('sends the pooling gradient to the first maximum when a window has ties', () => {
    const inputs = { x: { shape: [1, 4, 4, 2], values: new Float32Array(32).fill(1) } };
    expectLikeCpu('ties', inputs, (t) => tf.grads((x) => tf.sum(tf.maxPool(x as tf.Tensor4D, 2, 1, 'valid')))([t.x]));
  });

  const lrnCases: Array<[number, number, number, number, number, number?]> = [
    // channels, radius, bias, alpha, beta[, batch]
    [64, 2, 2, 1e-4 / 5, 0.75], // AlexNet (the layer passes alpha / size)
    [96, 2, 1, 1e-4 / 5, 0.75, 1], // PyTorch's LocalResponseNorm(5) defaults
    [193, 2, 2, 1e-4 / 5, 0.75, 3], // odd, past whole vectors
    [65, 2, 1, 0.3, 0.5, 1],
    [3, 2, 1, 0.3, 0.75], // C < window: every window crosses both edges
    [5, 3, 1, 0.2, 0.75, 3],
    [2, 2, 2, 0.4, 0.5],
    [17, 0, 1, 0.5, 0.5],
    [31, 1, 1, 0.25, 0.75],
    [20, 3, 1, 0.05, 0.75],
    [8, 5, 0.5, 0.1, 0.3],
    [1, 1, 2, 0.2, 1],
  ];
  it.each(lrnCases)(
    'LRN over %d channels, radius %d, bias %d, alpha %d, beta %d (batch %s), with its gradient',
    (c, radius, bias, alpha, beta, batch = 2) => {
      const random = numbers(c * 13 + radius);
      const inputs = { x: input(random, batch, 5, 6, c) };
      const lrn = (x: tf.Tensor) => tf.localResponseNormalization(x as tf.Tensor4D, radius, bias, alpha, beta);
      expectLikeCpu(
        'lrn',
        { x: { ...inputs.x, values: inputs.x.values.map((v) => v * 3) } },
        (t) => [
          lrn(t.x),
          ...tf.grads((x) => tf.sum(tf.mul(lrn(x), tf.range(0, tf.util.sizeFromShape(x.shape)).reshape(x.shape))))([
            t.x,
          ]),
        ],
        2e-5,
      );
    },
  );

  it('ReLU and its gradient over whole vectors and a remainder, exactly', () => {
    const random = numbers(77);
    expectLikeCpu(
      'relu vectors',
      { x: input(random, 3, 37, 41), dy: input(random, 3, 37, 41) },
      (t) => [tf.relu(t.x), ...tf.grads((x) => tf.sum(tf.mul(tf.relu(x), t.dy)))([t.x])],
      0,
    );
  });

  it('ReLU and its gradient (0 at 0), and leaves integer tensors to the CPU kernel', () => {
    const values = Float32Array.from([-2, -0.5, 0, 0.25, 3, -0, 7, -1e-30]);
    expectLikeCpu('relu', { x: { shape: [2, 4], values } }, (t) => [
      tf.relu(t.x),
      ...tf.grads((x) =>
        tf.sum(
          tf.mul(
            tf.relu(x),
            tf.tensor2d([
              [1, 2, 3, 4],
              [5, 6, 7, 8],
            ]),
          ),
        ),
      )([t.x]),
      tf.cast(tf.relu(tf.cast(t.x, 'int32')), 'float32'),
      tf.step(t.x),
      tf.step(tf.div(t.x, tf.sub(t.x, t.x)), 0.25), // NaN and +-Infinity
    ]);
  });

  it.each([
    [[4, 5, 6, 7], [0, 1, 2], false],
    [[4, 5, 6, 7], [0, 1, 2], true],
    [[4, 5, 6, 7], [3], false],
    [[4, 5, 6, 7], [2, 3], true],
    [[4, 5, 6, 7], [1], false],
    [[4, 5, 6, 7], [0, 2], false],
    [[9], [0], false],
    [[3, 0, 2], [0, 1], false],
  ])('sum of %o over axes %o (keepDims %s)', (shape, axes, keepDims) => {
    const random = numbers(shape.length * 5 + axes.length);
    expectLikeCpu('sum', { x: input(random, ...(shape as number[])) }, (t) => [
      tf.sum(t.x, axes as number[], keepDims as boolean),
      tf.cast(tf.sum(tf.cast(tf.mul(t.x, 10), 'int32'), axes as number[]), 'float32'),
    ]);
  });
});

describe('element-wise add, subtract and multiply match the CPU backend', () => {
  it.each([
    [
      [4, 5],
      [4, 5],
    ],
    [[3, 4, 6], []],
    [[], [2, 3]],
    [[2, 3, 4, 5], [5]],
    [[5], [2, 3, 4, 5]],
    [
      [2, 3, 4, 5],
      [1, 4, 5],
    ],
    [
      [2, 3, 4, 5],
      [3, 1, 5],
    ],
    [[1000, 70], [70]],
    // Columns and middle blocks: the loss's [batch, classes] against [batch, 1]; a per-channel [C, 1, 1].
    [
      [32, 1000],
      [32, 1],
    ],
    [
      [7, 1],
      [7, 13],
    ],
    [
      [2, 6, 5, 3],
      [6, 1, 1],
    ],
    [
      [3, 1, 4, 1],
      [3, 5, 4, 2],
    ],
    // Not a repeat of either (each operand broadcasts along the other): the CPU kernel's case.
    [
      [5, 1, 3],
      [5, 4, 3],
    ],
    [
      [4, 1],
      [1, 6],
    ],
  ])('%o with %o, with gradients', (aShape, bShape) => {
    const random = numbers(aShape.length * 7 + bShape.length);
    const inputs = { a: input(random, ...(aShape as number[])), b: input(random, ...(bShape as number[])) };
    expectLikeCpu('binary', inputs, (t) => [
      tf.add(t.a, t.b),
      tf.sub(t.a, t.b),
      tf.mul(t.a, t.b),
      ...tf.grads((a, b) => tf.sum(tf.mul(tf.sub(tf.add(a, b), b), tf.mul(a, b))))([t.a, t.b]),
    ]);
  });
});

describe('greater-or-equal matches the CPU backend', () => {
  it.each([
    [[33, 70], []],
    [[], [5, 9]],
    [
      [4, 6],
      [4, 6],
    ],
    [
      [8, 1],
      [8, 17],
    ],
    [[3, 70], [70]],
    [
      [5, 1, 3],
      [5, 4, 3],
    ],
  ])('%o with %o, NaN and ties included, into a bool tensor', (aShape, bShape) => {
    const random = numbers(aShape.length * 5 + bShape.length + 1);
    const a = input(random, ...(aShape as number[]));
    const b = input(random, ...(bShape as number[]));
    // Ties (a value equal to the other operand's) and NaNs on either side, where >= must say false.
    // A scalar a of 0 falls inside b's spread, so the mask holds both values.
    if (a.values.length > 1) a.values[0] = Number.NaN;
    else a.values[0] = 0;
    if (b.values.length > 1) b.values[1] = Number.NaN;
    if (a.values.length > 2) a.values[2] = b.values[2 % b.values.length];
    const kinds: string[] = [];
    const op = (t: Record<string, tf.Tensor>) => {
      const mask = tf.greaterEqual(t.a, t.b);
      kinds.push(`${mask.dtype} ${mask.shape}`);
      return tf.cast(mask, 'float32');
    };
    const expected = runOn('cpu', { a, b }, op);
    const actual = runOn('native', { a, b }, op);
    expect(kinds[1]).toBe(kinds[0]);
    expect(kinds[1]).toMatch(/^bool /);
    expect(Array.from(actual[0])).toEqual(Array.from(expected[0]));
    expect(new Set(actual[0])).toEqual(new Set([0, 1]));
  });
});

describe('repeatLayout, the broadcasts the element-wise kernels run natively', () => {
  it.each([
    [[], [4, 5], 1],
    [[5], [4, 5], 1],
    [[1, 5], [4, 5], 1],
    [[4, 1], [4, 5], 5],
    [[3, 1, 1], [2, 3, 4, 5], 20],
    [[1, 3, 4, 1], [2, 3, 4, 5], 5],
    [[2, 3, 4, 5], [2, 3, 4, 5], 1],
  ])('%o in %o repeats each element %i times', (shape, out, inner) => {
    expect(repeatLayout(shape as number[], out as number[])).toEqual({ inner });
  });

  it.each([
    [
      [5, 1, 3],
      [5, 4, 3],
    ],
    [
      [3, 1, 5],
      [2, 3, 4, 5],
    ],
    [
      [1, 6],
      [4, 6, 1],
    ],
  ])('%o in %o does not (the CPU kernel runs it)', (shape, out) => {
    expect(repeatLayout(shape, out)).toBeUndefined();
  });
});

describe('transposes match the CPU backend', () => {
  it.each([
    [[5], [0]],
    [
      [3, 7],
      [1, 0],
    ],
    [
      [2, 6, 6, 5],
      [0, 3, 1, 2],
    ],
    [
      [4, 3, 5, 2],
      [2, 1, 0, 3],
    ],
    [
      [2, 3, 1, 4, 2],
      [4, 0, 3, 2, 1],
    ],
    [
      [2, 1, 2, 3, 2, 2],
      [5, 4, 3, 2, 1, 0],
    ],
    [
      [3, 0, 2],
      [2, 0, 1],
    ],
  ])('shape %o, permutation %o, with its gradient', (shape, perm) => {
    const random = numbers(shape.length * 17 + perm[0]);
    expectLikeCpu('transpose', { x: input(random, ...shape) }, (t) => [
      tf.transpose(t.x, perm),
      ...tf.grads((x) => tf.sum(tf.mul(tf.transpose(x, perm), tf.transpose(x, perm))))([t.x]),
    ]);
  });
});

describe('inputs the CPU backend stores in other array types', () => {
  it('reads float32 tensors whose values are a plain array', () => {
    const backend = tf.backend() as unknown as { makeTensorInfo(s: number[], d: string, v: unknown): tf.TensorInfo };
    const info = backend.makeTensorInfo([2, 3], 'float32', [1, -2, 3, -4, 5, -6]);
    const t = tf.engine().makeTensorFromTensorInfo(info);
    expect(Array.from(tf.sum(t, 0).dataSync())).toEqual([-3, 3, -3]);
    expect(Array.from(tf.relu(t).dataSync())).toEqual([1, 0, 3, 0, 5, 0]);
    t.dispose();
  });
});

describe('threads and instruction sets', () => {
  const status = nativeBackendStatus();
  afterEach(() => {
    if (status.available) {
      setNativeThreads(status.threads);
      setNativeIsa(status.isa as 'avx2');
    }
  });

  it('reports the instruction set and threads it runs with', () => {
    expect(status.available).toBe(true);
    if (!status.available) return;
    expect(['avx512', 'avx2', 'sse']).toContain(status.isa);
    expect(status.threads).toBeGreaterThanOrEqual(1);
    expect(status.kernels).toEqual(
      expect.arrayContaining(['Conv2D', 'Conv2DBackpropFilter', 'MaxPoolGrad', 'LRNGrad']),
    );
  });

  it('gives the same bits on every run for a thread count, and the same values for any count', () => {
    const random = numbers(99);
    const inputs = { x: input(random, 6, 15, 15, 8), f: input(random, 3, 3, 8, 24) };
    const op = (t: Record<string, tf.Tensor>) =>
      tf.grads((x, f) => tf.sum(tf.square(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'same'))))([t.x, t.f]);
    const first = runOn('native', inputs, op);
    const again = runOn('native', inputs, op);
    expect(again).toEqual(first);
    for (const threads of [1, 3]) {
      setNativeThreads(threads);
      runOn('native', inputs, op).forEach((a, i) => {
        expectClose(a, first[i], 1e-5, `${threads} threads`);
      });
    }
  });

  it('gives pooling and LRN gradients the same bits for any thread count (each output has one thread)', () => {
    const random = numbers(31);
    const inputs = { x: input(random, 3, 27, 27, 19) };
    const op = (t: Record<string, tf.Tensor>) => [
      ...tf.grads((x) => tf.sum(tf.square(tf.maxPool(x as tf.Tensor4D, 3, 2, 'valid'))))([t.x]),
      ...tf.grads((x) => tf.sum(tf.mul(tf.localResponseNormalization(x as tf.Tensor4D, 2, 2, 2e-5, 0.75), x)))([t.x]),
    ];
    setNativeThreads(1);
    const one = runOn('native', inputs, op);
    for (const threads of [2, 5]) {
      setNativeThreads(threads);
      expect(runOn('native', inputs, op)).toEqual(one);
    }
  });

  it('computes the same with the portable kernels as with the best the CPU has', () => {
    const random = numbers(5);
    const inputs = {
      a: input(random, 37, 300),
      b: input(random, 300, 45),
      x: input(random, 3, 12, 12, 6),
      f: input(random, 5, 5, 6, 10),
    };
    const op = (t: Record<string, tf.Tensor>) => [
      tf.matMul(t.a, t.b),
      tf.conv2d(t.x as tf.Tensor4D, t.f as tf.Tensor4D, 2, 'same'),
      ...tf.grads((x) => tf.sum(tf.square(tf.maxPool(x as tf.Tensor4D, 3, 2, 'same'))))([t.x]),
      ...tf.grads((x) => tf.sum(tf.mul(tf.localResponseNormalization(x as tf.Tensor4D, 2, 1, 0.1, 0.75), x)))([t.x]),
    ];
    const best = runOn('native', inputs, op);
    // Every other build the CPU runs: AVX-512 too where it is not the default (Zen 4 takes AVX2).
    const addon = loadAddon().addon;
    for (const isa of ['avx512', 'avx2', 'sse'] as const) {
      if (!status.available || isa === status.isa || !addon?.setIsa(isa)) continue;
      setNativeIsa(isa);
      runOn('native', inputs, op).forEach((a, i) => {
        expectClose(a, best[i], 1e-5, isa);
      });
    }
    expect(() => setNativeIsa('neon' as never)).toThrow(/does not support neon/);
  });
});
