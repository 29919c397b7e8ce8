/**
 * This package's Conv2DBackpropInput (a tiled implicit GEMM per stride phase) against the CPU backend's on seeded
 * random shapes: strides 1 to 4; kernels 1, 2, 3, 5, 11; 'valid', 'same' and explicit (asymmetric) padding; batch 1
 * to 3; odd sides; channel counts that are neither multiples of 4 nor of the tiles (64 and 16 wide, both tiles
 * run); AlexNet's layers at reduced sizes. Then the gradient through `tf.grad`, flat memory over repeated calls, a
 * folded dispatch, and the cases handed to TF.js's own kernel.
 */

import { expectClose } from '@alexnet/test-utils';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { WebGPUMemoryInfo } from '@tensorflow/tfjs-backend-webgpu/dist/backend_webgpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConvCase, dyShape, explicit, label, type Pad, type Shape4, size } from '../../test/conv-cases.js';
import { NO_GPU, onCpuAndGpu, random, values } from '../../test/gpu.js';
import { conv2DBackpropInputConfig, conv2DBackpropInputPlan } from './conv2d-backprop-input.js';
import {
  Conv2DBackpropInputGemmProgram,
  NARROW_TILE,
  phaseAxis,
  planBackpropInput,
  WIDE_TILE,
} from './conv2d-backprop-input-program.js';
import { webGpuKernelSet } from './install.js';
import { runProgram } from './webgpu-internals.js';

type Case = ConvCase;

/** AlexNet's layers at reduced sizes, and shapes that cover several tiles of M and of N, and the odd corners. */
const FIXED: Case[] = [
  { x: [2, 63, 63, 3], filter: [11, 11, 3, 16], strides: 4, pad: explicit(2, 2, 2, 2) },
  { x: [2, 15, 15, 16], filter: [5, 5, 16, 24], strides: 1, pad: explicit(2, 2, 2, 2) },
  { x: [2, 7, 7, 24], filter: [3, 3, 24, 32], strides: 1, pad: explicit(1, 1, 1, 1) },
  { x: [1, 9, 9, 70], filter: [3, 3, 70, 17], strides: 1, pad: 'same' },
  { x: [3, 13, 13, 130], filter: [1, 1, 130, 5], strides: 2, pad: 'valid' },
  { x: [1, 17, 13, 3], filter: [5, 3, 3, 5], strides: [2, 1], pad: explicit(0, 2, 1, 0) },
  { x: [2, 13, 17, 5], filter: [3, 5, 5, 3], strides: [3, 2], pad: 1 },
  // Kernels smaller than the stride: whole phases have no tap, and their dx is zero.
  { x: [1, 17, 17, 5], filter: [2, 2, 5, 3], strides: 4, pad: 'valid' },
  { x: [2, 13, 7, 1], filter: [1, 1, 1, 17], strides: 3, pad: 'same' },
];

/** Seeded random shapes: every stride, kernel, padding, batch size, odd size and channel count of the brief. */
function randomCases(seed: number, count: number): Case[] {
  const next = random(seed);
  const pick = <T>(options: readonly T[]): T => options[Math.floor(((next() + 1) / 2) * options.length)];
  const cases: Case[] = [];
  while (cases.length < count) {
    const k = pick([1, 2, 3, 5, 11]);
    const kind = pick(['same', 'valid', 'explicit'] as const);
    const pad: Pad =
      kind === 'explicit' ? explicit(pick([0, 1, 2]), pick([0, 1, 2]), pick([0, 1, 2]), pick([0, 1, 2])) : kind;
    const side = () => Math.max(pick([7, 13, 17]), k);
    const inC = pick([1, 3, 5, 17, 70]);
    cases.push({
      x: [pick([1, 2, 3]), side(), side(), inC],
      filter: [k, pick([k, k, 1, 3]), inC, pick([1, 3, 5, 17, 70])],
      strides: pick([1, 2, 3, 4]),
      pad,
    });
  }
  return cases;
}

function backpropInput(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  c: Case,
  dataFormat: 'NHWC' | 'NCHW' = 'NHWC',
  inputShape: Shape4 = c.x,
): tf.Tensor {
  return tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, {
    strides: c.strides,
    pad: c.pad,
    dataFormat,
    dimRoundingMode: undefined,
    inputShape,
  } as unknown as tf.NamedAttrMap) as tf.Tensor;
}

/** dx on the CPU and on WebGPU, from seeded values. */
async function compare(c: Case, seed: number) {
  const next = random(seed);
  const dy = values(next, size(dyShape(c)));
  const w = values(next, size(c.filter));
  return onCpuAndGpu(() => backpropInput(tf.tensor4d(dy, dyShape(c)), tf.tensor4d(w, c.filter), c));
}

/** Gradients are long sums: compared to 1e-4 of the largest magnitude, as the stock kernels' tests do. */
const GRADIENT = 1e-4;

describe('the stride phases', () => {
  it('cover every pixel and every kernel tap once', () => {
    for (const [stride, pad, inSize, kernel] of [
      [1, 2, 13, 5],
      [2, 1, 17, 3],
      [3, 0, 7, 1],
      [4, 2, 63, 11],
      [4, 0, 17, 2],
    ]) {
      const pixels = new Array<number>(inSize).fill(0);
      const taps = new Array<number>(kernel).fill(0);
      for (let phase = 0; phase < stride; phase++) {
        const axis = phaseAxis(phase, stride, pad, inSize, kernel);
        for (let j = 0; j < axis.pixels; j++) {
          const i = axis.start + stride * j;
          expect((i + pad) % stride, `pixel ${i}'s phase`).toBe(phase);
          pixels[i]++;
        }
        for (let t = 0; t < axis.taps; t++) taps[phase + stride * t]++;
      }
      expect(pixels.every((n) => n === 1)).toBe(true);
      expect(taps.every((n) => n === 1)).toBe(true);
    }
  });

  it("keeps about 1/stride^2 of the dense GEMM's work, and fits the dispatch limit", () => {
    const conv1 = conv2DBackpropInputPlan([128, 224, 224, 3], [11, 11, 3, 64], 4, explicit(2, 2, 2, 2));
    expect(conv1.phases).toBe(16);
    // Exactly (sum of taps per phase / 11)^2 over the pixels: about (1/4)^2.
    expect(conv1.workKept).toBeGreaterThan(0.05);
    expect(conv1.workKept).toBeLessThan(0.075);
    const conv2 = conv2DBackpropInputPlan([128, 27, 27, 64], [5, 5, 64, 192], 1, explicit(2, 2, 2, 2));
    expect([conv2.phases, conv2.workKept, conv2.maxM, conv2.maxK, conv2.tilesN]).toEqual([1, 1, 93312, 4800, 1]);
    expect(conv2.dispatch).toEqual([93312 / WIDE_TILE.m, 1, 1]);
    expect(conv2.tile).toBe(WIDE_TILE);
    // 3 input channels: the narrow tile, 256 pixels by 16 channels.
    expect(conv1.tile).toBe(NARROW_TILE);
    expect(conv1.dispatch).toEqual([Math.ceil((128 * 56 * 56) / 256), 16, 1]);
    // Over 65,535 tiles along M: folded into x and z.
    const big = conv2DBackpropInputPlan([128, 224, 224, 64], [3, 3, 64, 64], 1, 'same');
    expect(big.dispatch[0]).toBeLessThanOrEqual(65535);
    expect(big.dispatch[2]).toBe(2);
    expect(big.dispatch[0] * big.dispatch[2]).toBeGreaterThanOrEqual(big.tilesM);
  });
});

describe.skipIf(NO_GPU)('Conv2DBackpropInput on webgpu against the cpu backend', () => {
  beforeAll(() => tf.env().set('WEBGPU_CPU_FORWARD', false));
  afterAll(() => tf.env().set('WEBGPU_CPU_FORWARD', true));

  it("is this package's kernel", () => {
    expect(webGpuKernelSet()).toBe('alexnet');
    expect(tf.getKernel('Conv2DBackpropInput', 'webgpu')?.kernelFunc).toBe(conv2DBackpropInputConfig.kernelFunc);
  });

  it("AlexNet's layers at reduced sizes, several tiles of M and N, phases without taps", async () => {
    for (const [i, c] of FIXED.entries()) {
      const dx = await compare(c, 500 + i);
      expectClose(dx.gpu, dx.cpu, GRADIENT, label(c));
    }
  });

  it('seeded random shapes', async () => {
    for (const [i, c] of randomCases(25, 28).entries()) {
      const dx = await compare(c, 600 + i);
      expectClose(dx.gpu, dx.cpu, GRADIENT, label(c));
    }
  });

  it('the gradient of conv2d through tf.grad (x and filter)', async () => {
    for (const c of [
      { x: [2, 13, 13, 5], filter: [3, 3, 5, 7], strides: 2, pad: 'same' },
      { x: [1, 31, 31, 3], filter: [11, 11, 3, 8], strides: 4, pad: explicit(2, 2, 2, 2) },
    ] as Case[]) {
      const next = random(700);
      const x = values(next, size(c.x));
      const w = values(next, size(c.filter));
      const loss = (input: tf.Tensor, filter: tf.Tensor) =>
        tf
          .conv2d(input as tf.Tensor4D, filter as tf.Tensor4D, c.strides, c.pad)
          .square()
          .sum();
      const dx = await onCpuAndGpu(() => tf.grads(loss)([tf.tensor4d(x, c.x), tf.tensor4d(w, c.filter)])[0]);
      expectClose(dx.gpu, dx.cpu, GRADIENT, `tf.grad of conv2d, dx, ${label(c)}`);
    }
  });

  it("the gradient of the project's FusedConv2D (conv2d with bias, as the models run it)", async () => {
    const c: Case = { x: [2, 15, 15, 6], filter: [5, 5, 6, 10], strides: 1, pad: 2 };
    const next = random(750);
    const x = values(next, size(c.x));
    const w = values(next, size(c.filter));
    const bias = values(next, c.filter[3]);
    const loss = (input: tf.Tensor) =>
      tf.fused
        .conv2d({
          x: input as tf.Tensor4D,
          filter: tf.tensor4d(w, c.filter),
          bias: tf.tensor1d(bias),
          strides: c.strides,
          pad: 2,
        })
        .square()
        .sum();
    const dx = await onCpuAndGpu(() => tf.grad(loss)(tf.tensor4d(x, c.x)));
    expectClose(dx.gpu, dx.cpu, GRADIENT, 'tf.grad of fused conv2d, dx');
  });

  it('folds a dispatch of too many M tiles into x and z', async () => {
    // 11 tiles along M, folded as if the limit were 4 (3 x 4 workgroups, one past the end doing nothing): the
    // same program as a 70,000-tile layer, at a size SwiftShader runs in a moment.
    const c: Case = { x: [2, 37, 35, 5], filter: [3, 3, 5, 7], strides: 1, pad: 'same' };
    const info = tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad);
    const plan = planBackpropInput(c.x, c.filter, info.outShape, [1, 1], [info.padInfo.top, info.padInfo.left], 4);
    expect(plan.tile).toBe(NARROW_TILE);
    expect(plan.tilesM).toBe(11);
    expect(plan.dispatch).toEqual([4, 1, 3]);
    const next = random(760);
    const dy = values(next, size(dyShape(c)));
    const w = values(next, size(c.filter));
    const dx = await onCpuAndGpu(() => {
      const dyT = tf.tensor4d(dy, dyShape(c));
      const wT = tf.tensor4d(w, c.filter);
      if (tf.getBackend() === 'cpu') return backpropInput(dyT, wT, c);
      const program = new Conv2DBackpropInputGemmProgram(c.x, plan);
      const uniforms = [
        { type: 'int32' as const, data: [info.padInfo.top, info.padInfo.left] },
        { type: 'int32' as const, data: [1, 1] },
        { type: 'int32' as const, data: [plan.tilesN] },
      ];
      const out = runProgram(tf.backend() as WebGPUBackend, program, [dyT, wT], uniforms);
      return tf.engine().makeTensorFromTensorInfo(out);
    });
    expectClose(dx.gpu, dx.cpu, GRADIENT, 'folded dispatch');
  });

  it("hands NCHW to TF.js's own kernel", async () => {
    const c: Case = { x: [2, 9, 9, 3], filter: [3, 3, 3, 5], strides: 1, pad: 'valid' };
    const next = random(800);
    const dyNhwc = values(next, size(dyShape(c)));
    const w = values(next, size(c.filter));
    const nchwShape: Shape4 = [c.x[0], c.x[3], c.x[1], c.x[2]];
    const dx = await onCpuAndGpu(() =>
      backpropInput(
        tf.tensor4d(dyNhwc, dyShape(c)).transpose([0, 3, 1, 2]) as tf.Tensor4D,
        tf.tensor4d(w, c.filter),
        c,
        'NCHW',
        nchwShape,
      ).transpose([0, 2, 3, 1]),
    );
    const reference = await compare(c, 800);
    expectClose(dx.gpu, dx.cpu, GRADIENT, 'NCHW');
    expectClose(dx.gpu, reference.cpu, GRADIENT, 'NCHW against NHWC');
  });

  it('keeps tensors and GPU buffers flat over repeated calls', async () => {
    await tf.setBackend('webgpu');
    const inputs = [FIXED[7], FIXED[3]].map((c) => ({
      c,
      dy: tf.randomUniform(dyShape(c), -1, 1, 'float32', 1) as tf.Tensor4D,
      w: tf.randomUniform(c.filter, -1, 1, 'float32', 2) as tf.Tensor4D,
    }));
    const step = async () => {
      for (const { c, dy, w } of inputs) {
        const dx = backpropInput(dy, w, c);
        await dx.data();
        dx.dispose();
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
    for (const { dy, w } of inputs) tf.dispose([dy, w]);
  });
});
