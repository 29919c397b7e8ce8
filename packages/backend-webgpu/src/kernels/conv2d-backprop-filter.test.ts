/**
 * This package's Conv2DBackpropFilter (tiled implicit GEMM, split-K) against the CPU backend's on seeded random
 * shapes: strides 1, 2, 4; kernels 1, 3, 5, 11; 'valid', 'same' and explicit padding; batch 1 to 3; odd sides;
 * channel counts that are neither multiples of 4 nor of the 64-wide tile; AlexNet's layers at reduced sizes; one
 * slice and many. Then flat memory over repeated calls (the split-K scratch is released), the gradient through
 * `tf.grad`, and the cases handed to TF.js's own kernel.
 */

import { expectClose } from '@alexnet/test-utils';
import type { WebGPUMemoryInfo } from '@tensorflow/tfjs-backend-webgpu/dist/backend_webgpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConvCase, dyShape, explicit, label, type Pad, type Shape4, size } from '../../test/conv-cases.js';
import { NO_GPU, onCpuAndGpu, random, values } from '../../test/gpu.js';
import { conv2DBackpropFilterConfig, conv2DBackpropFilterPlan } from './conv2d-backprop-filter.js';
import { MAX_SLICES, MIN_K_PER_SLICE, TARGET_WORKGROUPS, TILE_K } from './conv2d-backprop-filter-program.js';
import { webGpuKernelSet } from './install.js';

type Case = ConvCase;

/** AlexNet's layers at reduced sizes, and shapes that cover several tiles of M and of N. */
const FIXED: Case[] = [
  { x: [3, 63, 63, 3], filter: [11, 11, 3, 16], strides: 4, pad: explicit(2, 2, 2, 2) },
  { x: [2, 15, 15, 16], filter: [5, 5, 16, 24], strides: 1, pad: explicit(2, 2, 2, 2) },
  { x: [2, 7, 7, 24], filter: [3, 3, 24, 32], strides: 1, pad: explicit(1, 1, 1, 1) },
  { x: [1, 9, 9, 17], filter: [3, 3, 17, 70], strides: 1, pad: 'same' },
  { x: [3, 13, 13, 5], filter: [1, 1, 5, 130], strides: 2, pad: 'valid' },
  { x: [1, 17, 13, 3], filter: [5, 3, 3, 5], strides: [2, 1], pad: explicit(0, 2, 1, 0) },
  { x: [2, 13, 17, 5], filter: [3, 5, 5, 3], strides: 2, pad: 1 },
];

/** Seeded random shapes: every stride, kernel, padding, batch size and odd size of the brief among them. */
function randomCases(seed: number, count: number): Case[] {
  const next = random(seed);
  const pick = <T>(options: readonly T[]): T => options[Math.floor(((next() + 1) / 2) * options.length)];
  const cases: Case[] = [];
  while (cases.length < count) {
    const k = pick([1, 3, 5, 11]);
    const kind = pick(['same', 'valid', 'explicit'] as const);
    const pad: Pad =
      kind === 'explicit' ? explicit(pick([0, 1, 2]), pick([0, 1, 2]), pick([0, 1, 2]), pick([0, 1, 2])) : kind;
    const side = () => Math.max(pick([7, 13, 17]), k);
    cases.push({
      x: [pick([1, 2, 3]), side(), side(), pick([1, 3, 5, 17])],
      filter: [k, k, 0, pick([1, 3, 5, 17, 64])],
      strides: pick([1, 2, 4]),
      pad,
    });
    const last = cases[cases.length - 1];
    last.filter[2] = last.x[3];
  }
  return cases;
}

function backpropFilter(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  c: Case,
  dataFormat: 'NHWC' | 'NCHW' = 'NHWC',
  filterShape: Shape4 = c.filter,
): tf.Tensor {
  return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
    strides: c.strides,
    pad: c.pad,
    dataFormat,
    dimRoundingMode: undefined,
    filterShape,
  } as unknown as tf.NamedAttrMap) as tf.Tensor;
}

/** dW on the CPU and on WebGPU, from seeded values. */
async function compare(c: Case, seed: number) {
  const next = random(seed);
  const x = values(next, size(c.x));
  const dy = values(next, size(dyShape(c)));
  return onCpuAndGpu(() => backpropFilter(tf.tensor4d(x, c.x), tf.tensor4d(dy, dyShape(c)), c));
}

/** Gradients are long sums: compared to 1e-4 of the largest magnitude, as the stock kernels' tests do. */
const GRADIENT = 1e-4;

describe('the split of K', () => {
  it('gives AlexNet-sized layers a few hundred workgroups, in whole K tiles, no slice empty', () => {
    const layers: Array<[Shape4, Shape4, number, Pad]> = [
      [[128, 224, 224, 3], [11, 11, 3, 64], 4, explicit(2, 2, 2, 2)],
      [[128, 27, 27, 64], [5, 5, 64, 192], 1, explicit(2, 2, 2, 2)],
      [[128, 13, 13, 192], [3, 3, 192, 384], 1, explicit(1, 1, 1, 1)],
      [[128, 13, 13, 384], [3, 3, 384, 256], 1, explicit(1, 1, 1, 1)],
      [[128, 13, 13, 256], [3, 3, 256, 256], 1, explicit(1, 1, 1, 1)],
    ];
    for (const [x, filter, strides, pad] of layers) {
      const plan = conv2DBackpropFilterPlan(x, filter, strides, pad);
      const workgroups = plan.tilesM * plan.tilesN * plan.slices;
      expect(workgroups, `workgroups for ${filter}`).toBeGreaterThanOrEqual(TARGET_WORKGROUPS);
      expect(plan.kPerSlice % TILE_K).toBe(0);
      expect((plan.slices - 1) * plan.kPerSlice).toBeLessThan(plan.k);
      expect(plan.slices * plan.kPerSlice).toBeGreaterThanOrEqual(plan.k);
    }
    // conv1: 6 tiles of 363 x 64 outputs, K = 128*55*55.
    const conv1 = conv2DBackpropFilterPlan(...layers[0]);
    expect([conv1.m, conv1.n, conv1.k, conv1.tilesM, conv1.tilesN]).toEqual([363, 64, 387200, 6, 1]);
    expect(conv1.slices).toBe(86);
  });

  it('keeps slices above the minimum length, under the cap, and the scratch under its limit', () => {
    const small = conv2DBackpropFilterPlan([1, 7, 7, 3], [3, 3, 3, 4], 1, 'same');
    expect(small.slices).toBe(1);
    const long = conv2DBackpropFilterPlan([4096, 32, 32, 1], [1, 1, 1, 1], 1, 'valid');
    expect(long.slices).toBe(MAX_SLICES);
    const few = conv2DBackpropFilterPlan([1, 40, 40, 3], [3, 3, 3, 4], 1, 'same');
    expect(few.kPerSlice).toBeGreaterThanOrEqual(MIN_K_PER_SLICE);
    const capped = conv2DBackpropFilterPlan([128, 55, 55, 3], [11, 11, 3, 64], 1, 'same', 363 * 64 * 4 * 3);
    expect(capped.slices).toBe(3);
  });

  it('splits some of the tested shapes and not others', () => {
    const slices = [...FIXED, ...randomCases(15, 24)].map(
      (c) => conv2DBackpropFilterPlan(c.x, c.filter, c.strides, c.pad).slices,
    );
    expect(slices.some((s) => s === 1)).toBe(true);
    expect(slices.some((s) => s > 1)).toBe(true);
  });
});

describe.skipIf(NO_GPU)('Conv2DBackpropFilter on webgpu against the cpu backend', () => {
  beforeAll(() => tf.env().set('WEBGPU_CPU_FORWARD', false));
  afterAll(() => tf.env().set('WEBGPU_CPU_FORWARD', true));

  it("is this package's kernel", () => {
    expect(webGpuKernelSet()).toBe('alexnet');
    expect(tf.getKernel('Conv2DBackpropFilter', 'webgpu')?.kernelFunc).toBe(conv2DBackpropFilterConfig.kernelFunc);
  });

  it("AlexNet's layers at reduced sizes, and several tiles of M and N", async () => {
    for (const [i, c] of FIXED.entries()) {
      const dw = await compare(c, 500 + i);
      expectClose(dw.gpu, dw.cpu, GRADIENT, label(c));
    }
  });

  it('seeded random shapes', async () => {
    for (const [i, c] of randomCases(15, 24).entries()) {
      const dw = await compare(c, 600 + i);
      expectClose(dw.gpu, dw.cpu, GRADIENT, label(c));
    }
  });

  it('the gradient of conv2d through tf.grad', async () => {
    const c: Case = { x: [2, 13, 13, 5], filter: [3, 3, 5, 7], strides: 2, pad: 'same' };
    const next = random(700);
    const x = values(next, size(c.x));
    const w = values(next, size(c.filter));
    const dw = await onCpuAndGpu(() => {
      const input = tf.tensor4d(x, c.x);
      const loss = (filter: tf.Tensor) =>
        tf
          .conv2d(input, filter as tf.Tensor4D, c.strides, c.pad)
          .square()
          .sum();
      return tf.grad(loss)(tf.tensor4d(w, c.filter));
    });
    expectClose(dw.gpu, dw.cpu, GRADIENT, 'tf.grad of conv2d');
  });

  it("hands NCHW to TF.js's own kernel", async () => {
    const c: Case = { x: [2, 9, 9, 3], filter: [3, 3, 3, 5], strides: 1, pad: 'valid' };
    const next = random(800);
    const xNhwc = values(next, size(c.x));
    const dyNhwc = values(next, size(dyShape(c)));
    const nchw = (v: Float32Array, s: Shape4) => tf.tensor4d(v, s).transpose([0, 3, 1, 2]) as tf.Tensor4D;
    const dw = await onCpuAndGpu(() => backpropFilter(nchw(xNhwc, c.x), nchw(dyNhwc, dyShape(c)), c, 'NCHW', c.filter));
    const reference = await compare(c, 800);
    expectClose(dw.gpu, dw.cpu, GRADIENT, 'NCHW');
    expectClose(dw.gpu, reference.cpu, GRADIENT, 'NCHW against NHWC');
  });

  it('keeps tensors and GPU buffers flat over repeated calls, split or not', async () => {
    await tf.setBackend('webgpu');
    const split: Case = FIXED[0];
    const whole: Case = { x: [1, 7, 7, 3], filter: [3, 3, 3, 4], strides: 1, pad: 'same' };
    expect(conv2DBackpropFilterPlan(split.x, split.filter, split.strides, split.pad).slices).toBeGreaterThan(1);
    expect(conv2DBackpropFilterPlan(whole.x, whole.filter, whole.strides, whole.pad).slices).toBe(1);
    const inputs = [split, whole].map((c) => ({
      c,
      x: tf.randomUniform(c.x, -1, 1, 'float32', 1) as tf.Tensor4D,
      dy: tf.randomUniform(dyShape(c), -1, 1, 'float32', 2) as tf.Tensor4D,
    }));
    const step = async () => {
      for (const { c, x, dy } of inputs) {
        const dw = backpropFilter(x, dy, c);
        await dw.data();
        dw.dispose();
      }
    };
    // The first calls fill the backend's buffer pool with the sizes these calls use.
    await step();
    await step();
    const before = tf.memory() as WebGPUMemoryInfo;
    for (let i = 0; i < 10; i++) await step();
    const after = tf.memory() as WebGPUMemoryInfo;
    expect(after.numTensors, 'live tensors').toBe(before.numTensors);
    expect(after.numBytesInGPU, 'bytes of live tensors on the GPU').toBe(before.numBytesInGPU);
    expect(after.numBytesAllocatedInGPU, 'bytes allocated on the GPU').toBeLessThanOrEqual(
      before.numBytesAllocatedInGPU,
    );
    for (const { x, dy } of inputs) tf.dispose([x, dy]);
  });
});
