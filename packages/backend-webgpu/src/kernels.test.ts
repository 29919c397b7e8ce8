/**
 * The WebGPU kernels AlexNet training runs on, against the CPU backend's, on random small shapes: batch sizes 1 to
 * 3, odd and even sides, strides 1 to 4, 'same', 'valid' and explicit padding. They are TF.js's stock kernels except
 * where this package registers its own (`kernels/index.ts`: Conv2DBackpropFilter and Conv2DBackpropInput, each
 * tested further in its own file).
 */

import { expectClose } from '@alexnet/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { NO_GPU, onCpuAndGpu, random, values } from '../test/gpu.js';

type Pad = 'same' | 'valid' | [[0, 0], [number, number], [number, number], [0, 0]];

interface ConvCase {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number;
  pad: Pad;
}

/** Random convolution shapes, with AlexNet's own (11x11 stride 4, 5x5, 3x3) among them. */
function convCases(seed: number, count: number): ConvCase[] {
  const next = random(seed);
  const pick = <T>(options: readonly T[]): T => options[Math.floor(((next() + 1) / 2) * options.length)];
  const cases: ConvCase[] = [
    {
      x: [2, 27, 27, 3],
      filter: [11, 11, 3, 4],
      strides: 4,
      pad: [
        [0, 0],
        [2, 2],
        [2, 2],
        [0, 0],
      ],
    },
    { x: [1, 13, 13, 5], filter: [5, 5, 5, 6], strides: 1, pad: 'same' },
  ];
  while (cases.length < count) {
    const k = pick([1, 2, 3, 5]);
    const pad: Pad =
      pick(['same', 'valid', 'explicit'] as const) === 'explicit'
        ? [
            [0, 0],
            [pick([0, 1, 2]), pick([0, 1, 2])],
            [pick([0, 1, 2]), pick([0, 1, 2])],
            [0, 0],
          ]
        : pick(['same', 'valid'] as const);
    const side = () => k + pick([0, 1, 2, 4, 7, 10]);
    cases.push({
      x: [pick([1, 2, 3]), side(), side(), pick([1, 3, 4, 7])],
      filter: [k, k, 0, pick([1, 2, 5, 8])],
      strides: pick([1, 2, 3, 4]),
      pad,
    });
    const last = cases[cases.length - 1];
    last.filter[2] = last.x[3];
  }
  return cases;
}

const describeCase = (c: ConvCase) => `x ${c.x} filter ${c.filter} stride ${c.strides} pad ${JSON.stringify(c.pad)}`;

function outShape(c: ConvCase): number[] {
  return tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad).outShape;
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
/** Forward results are compared to 1e-5, gradients (longer sums) to 1e-4, relative to the largest magnitude. */
const FORWARD = 1e-5;
const GRADIENT = 1e-4;

describe.skipIf(NO_GPU)('stock webgpu kernels against the cpu backend', () => {
  // Small tensors would otherwise run some kernels on the CPU (TF.js's WEBGPU_CPU_FORWARD): test the GPU ones.
  beforeAll(() => tf.env().set('WEBGPU_CPU_FORWARD', false));
  afterAll(() => tf.env().set('WEBGPU_CPU_FORWARD', true));
  const cases = convCases(15, 8);

  it('Conv2D and FusedConv2D (bias, ReLU)', async () => {
    for (const [i, c] of cases.entries()) {
      const next = random(100 + i);
      const x = values(next, size(c.x));
      const filter = values(next, size(c.filter));
      const bias = values(next, c.filter[3]);
      const plain = await onCpuAndGpu(() =>
        tf.conv2d(tf.tensor4d(x, c.x), tf.tensor4d(filter, c.filter), c.strides, c.pad),
      );
      expectClose(plain.gpu, plain.cpu, FORWARD, `Conv2D ${describeCase(c)}`);
      const fused = await onCpuAndGpu(() =>
        tf.fused.conv2d({
          x: tf.tensor4d(x, c.x),
          filter: tf.tensor4d(filter, c.filter),
          bias: tf.tensor1d(bias),
          activation: 'relu',
          strides: c.strides,
          pad: c.pad,
        }),
      );
      expectClose(fused.gpu, fused.cpu, FORWARD, `FusedConv2D ${describeCase(c)}`);
    }
  });

  it('Conv2DBackpropFilter and Conv2DBackpropInput', async () => {
    for (const [i, c] of cases.entries()) {
      const next = random(200 + i);
      const x = values(next, size(c.x));
      const filter = values(next, size(c.filter));
      const dyShape = outShape(c) as [number, number, number, number];
      const dy = values(next, size(dyShape));
      const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
      const dw = await onCpuAndGpu(
        () =>
          tf.engine().runKernel('Conv2DBackpropFilter', { x: tf.tensor4d(x, c.x), dy: tf.tensor4d(dy, dyShape) }, {
            ...attrs,
            filterShape: c.filter,
          } as unknown as tf.NamedAttrMap) as tf.Tensor,
      );
      expectClose(dw.gpu, dw.cpu, GRADIENT, `Conv2DBackpropFilter ${describeCase(c)}`);
      const dx = await onCpuAndGpu(
        () =>
          tf
            .engine()
            .runKernel('Conv2DBackpropInput', { dy: tf.tensor4d(dy, dyShape), filter: tf.tensor4d(filter, c.filter) }, {
              ...attrs,
              inputShape: c.x,
            } as unknown as tf.NamedAttrMap) as tf.Tensor,
      );
      expectClose(dx.gpu, dx.cpu, GRADIENT, `Conv2DBackpropInput ${describeCase(c)}`);
    }
  });

  it('MaxPool and MaxPoolGrad (overlapping 3x3 stride 2, and others)', async () => {
    const next = random(300);
    const pools: Array<{ x: [number, number, number, number]; k: number; s: number; pad: 'same' | 'valid' }> = [
      { x: [2, 55, 55, 3], k: 3, s: 2, pad: 'valid' },
      { x: [3, 13, 13, 5], k: 3, s: 2, pad: 'valid' },
      { x: [1, 8, 7, 4], k: 2, s: 2, pad: 'same' },
      { x: [2, 9, 11, 2], k: 3, s: 1, pad: 'same' },
    ];
    for (const p of pools) {
      // Continuous random values: no ties, so both backends route each gradient to the same maximum.
      const x = values(next, size(p.x));
      const label = `x ${p.x} ${p.k}x${p.k} stride ${p.s} ${p.pad}`;
      const y = await onCpuAndGpu(() => tf.maxPool(tf.tensor4d(x, p.x), p.k, p.s, p.pad));
      expectClose(y.gpu, y.cpu, 0, `MaxPool ${label}`);
      const yShape = tf.backend_util.computePool2DInfo(p.x, p.k, p.s, 1, p.pad).outShape;
      const dy = values(next, size(yShape));
      const dx = await onCpuAndGpu(() => {
        const input = tf.tensor4d(x, p.x);
        return tf
          .engine()
          .runKernel('MaxPoolGrad', { dy: tf.tensor(dy, yShape), input, output: tf.maxPool(input, p.k, p.s, p.pad) }, {
            filterSize: p.k,
            strides: p.s,
            pad: p.pad,
            dimRoundingMode: undefined,
          } as unknown as tf.NamedAttrMap) as tf.Tensor;
      });
      expectClose(dx.gpu, dx.cpu, GRADIENT, `MaxPoolGrad ${label}`);
    }
  });

  it("LRN and LRNGrad (the papers' and PyTorch's constants, and odd channel counts)", async () => {
    const next = random(400);
    const settings: Array<{
      x: [number, number, number, number];
      depthRadius: number;
      bias: number;
      alpha: number;
      beta: number;
    }> = [
      { x: [2, 13, 13, 16], depthRadius: 2, bias: 2, alpha: 1e-4, beta: 0.75 },
      { x: [1, 7, 5, 7], depthRadius: 2, bias: 1, alpha: 2e-5, beta: 0.75 },
      { x: [3, 4, 6, 3], depthRadius: 1, bias: 1.5, alpha: 0.1, beta: 0.5 },
    ];
    for (const s of settings) {
      const { depthRadius, bias, alpha, beta } = s;
      const x = values(next, size(s.x)).map((v) => v * 4);
      const dy = values(next, size(s.x));
      const label = `x ${s.x} radius ${depthRadius} bias ${bias} alpha ${alpha} beta ${beta}`;
      const y = await onCpuAndGpu(() =>
        tf.localResponseNormalization(tf.tensor4d(x, s.x), depthRadius, bias, alpha, beta),
      );
      expectClose(y.gpu, y.cpu, FORWARD, `LRN ${label}`);
      const dx = await onCpuAndGpu(() => {
        const input = tf.tensor4d(x, s.x);
        return tf.engine().runKernel(
          'LRNGrad',
          {
            x: input,
            y: tf.localResponseNormalization(input, depthRadius, bias, alpha, beta),
            dy: tf.tensor4d(dy, s.x),
          },
          { depthRadius, bias, alpha, beta },
        ) as tf.Tensor;
      });
      expectClose(dx.gpu, dx.cpu, GRADIENT, `LRNGrad ${label}`);
    }
  });
});
