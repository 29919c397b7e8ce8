#!/usr/bin/env node
// `pnpm --filter @alexnet/tfjs-backend-webgpu bench [--batch 32] [--reps 3] [--layers conv1,conv2,conv3]`:
// milliseconds per Conv2DBackpropFilter call, TF.js's stock WebGPU kernel against this package's (tiled implicit
// GEMM, split-K), on AlexNet V2's layers at reduced sizes, on whatever adapter Dawn picks (ALEXNET_WEBGPU_ADAPTER to
// choose). 'rel. diff' is the largest difference between the two results over the largest magnitude.
// On SwiftShader (a CPU Vulkan driver) the figures say which design does less work on a CPU, not what a GPU does.
import * as tf from '@tensorflow/tfjs-core';
import { useWebGpuKernels } from '../dist/index.js';
import { padding, relativeDifference, setUp, timeCalls } from './conv-common.mjs';

const { batch, reps, shapes } = await setUp('Conv2DBackpropFilter');

function time(set, x, dy, filterShape, strides, p) {
  useWebGpuKernels(set);
  const attrs = { strides, pad: padding(p), dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape };
  return timeCalls(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, attrs), reps);
}

console.log(
  `${'shape (batch '.concat(batch, ')').padEnd(34)} ${'stock'.padStart(10)} ${'alexnet'.padStart(10)} ${'ratio'.padStart(7)} ${'rel. diff'.padStart(11)}`,
);
for (const [name, xShape, filterShape, strides, p] of shapes) {
  const info = tf.backend_util.computeConv2DInfo(xShape, filterShape, strides, 1, p);
  const x = tf.randomUniform(xShape, -1, 1, 'float32', 1);
  const dy = tf.randomUniform(info.outShape, -1, 1, 'float32', 2);
  const stock = await time('stock', x, dy, filterShape, strides, p);
  const ours = await time('alexnet', x, dy, filterShape, strides, p);
  const diff = relativeDifference(stock.values, ours.values);
  console.log(
    `${name.padEnd(34)} ${stock.ms.toFixed(1).padStart(10)} ${ours.ms.toFixed(1).padStart(10)} ${(stock.ms / ours.ms).toFixed(1).padStart(6)}x ${diff.toExponential(1).padStart(11)}`,
  );
  tf.dispose([x, dy]);
}
