#!/usr/bin/env node
// `pnpm --filter @alexnet/tfjs-backend-webgpu bench:input [--batch 32] [--reps 3] [--layers conv1,conv2,conv3]`:
// milliseconds per Conv2DBackpropInput call, TF.js's stock WebGPU kernel (its default, the naive program, and its
// matrix-multiply program, flag WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE off) against this package's (a tiled implicit GEMM
// per stride phase), on AlexNet V2's layers at reduced sizes, on whatever adapter Dawn picks (ALEXNET_WEBGPU_ADAPTER
// to choose). Each kernel is run once to compile it, then `--reps` times, each call awaited (`await data()`), so the
// figures include the read-back; 'rel. diff' is the largest difference between the naive kernel's result and this
// package's over the largest magnitude. conv1's input gradient is not needed in training (the image has none); it is
// here for the stride-4 path.
// On SwiftShader (a CPU Vulkan driver) the figures say which design does less work on a CPU, not what a GPU does.
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { setWebGpuBackend, useWebGpuKernels } from '../dist/index.js';

const { values } = parseArgs({
  options: {
    reps: { type: 'string', default: '3' },
    batch: { type: 'string', default: '32' },
    layers: { type: 'string', default: 'conv1,conv2,conv3' },
  },
});
const reps = Number(values.reps);
const batch = Number(values.batch);
const status = await setWebGpuBackend();
const software = status.software ? ' [software adapter]' : '';
const NAIVE = 'WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE';
const shapes = [
  ['conv1 11x11x3x64 s4 p2, 63px', [batch, 63, 63, 3], [11, 11, 3, 64], 4, 2],
  ['conv2 5x5x64x192 s1 p2, 15px', [batch, 15, 15, 64], [5, 5, 64, 192], 1, 2],
  ['conv3 3x3x192x384 s1 p1, 13px', [batch, 13, 13, 192], [3, 3, 192, 384], 1, 1],
];

async function time(set, naive, dy, filter, inputShape, strides, p) {
  useWebGpuKernels(set);
  tf.env().set(NAIVE, naive);
  const pad = [
    [0, 0],
    [p, p],
    [p, p],
    [0, 0],
  ];
  const run = async () => {
    const dx = tf
      .engine()
      .runKernel(
        'Conv2DBackpropInput',
        { dy, filter },
        { strides, pad, dataFormat: 'NHWC', dimRoundingMode: undefined, inputShape },
      );
    const out = await dx.data();
    dx.dispose();
    return out;
  };
  const first = await run();
  const start = performance.now();
  for (let r = 0; r < reps; r++) await run();
  tf.env().set(NAIVE, true);
  return { ms: (performance.now() - start) / reps, values: first };
}

const label = status.software
  ? 'SwiftShader (CPU), not a GPU figure'
  : 'a hardware adapter: one run, no profiling; see scripts/bench/gpu.mjs for training figures';
console.log(`Conv2DBackpropInput, ms per call on ${status.adapter.name}${software} — ${label}`);
console.log(
  `${'shape (batch '.concat(batch, ')').padEnd(34)} ${'stock'.padStart(10)} ${'stock MM'.padStart(10)} ${'alexnet'.padStart(10)} ${'ratio'.padStart(7)} ${'rel. diff'.padStart(11)}`,
);
const layers = values.layers.split(',');
for (const [name, xShape, filterShape, strides, p] of shapes.filter(([name]) => layers.includes(name.split(' ')[0]))) {
  const info = tf.backend_util.computeConv2DInfo(xShape, filterShape, strides, 1, p);
  const dy = tf.randomUniform(info.outShape, -1, 1, 'float32', 1);
  const filter = tf.randomUniform(filterShape, -1, 1, 'float32', 2);
  const stock = await time('stock', true, dy, filter, xShape, strides, p);
  const mm = await time('stock', false, dy, filter, xShape, strides, p);
  const ours = await time('alexnet', true, dy, filter, xShape, strides, p);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < stock.values.length; i++) {
    diff = Math.max(diff, Math.abs(stock.values[i] - ours.values[i]));
    scale = Math.max(scale, Math.abs(stock.values[i]));
  }
  console.log(
    `${name.padEnd(34)} ${stock.ms.toFixed(1).padStart(10)} ${mm.ms.toFixed(1).padStart(10)} ${ours.ms.toFixed(1).padStart(10)} ${(stock.ms / ours.ms).toFixed(1).padStart(6)}x ${(diff / scale).toExponential(1).padStart(11)}`,
  );
  tf.dispose([dy, filter]);
}
