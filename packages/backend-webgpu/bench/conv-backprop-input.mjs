#!/usr/bin/env node
// `pnpm --filter @alexnet/tfjs-backend-webgpu bench:input [--batch 32] [--reps 3] [--layers conv1,conv2,conv3]`:
// milliseconds per Conv2DBackpropInput call, TF.js's stock WebGPU kernel (its default, the naive program, and its
// matrix-multiply program, flag WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE off) against this package's (a tiled implicit GEMM
// per stride phase), on AlexNet V2's layers at reduced sizes, on whatever adapter Dawn picks (ALEXNET_WEBGPU_ADAPTER
// to choose). 'rel. diff' is the largest difference between the naive kernel's result and this package's over the
// largest magnitude. conv1's input gradient is not needed in training (the image has none); it is here for the
// stride-4 path.
// On SwiftShader (a CPU Vulkan driver) the figures say which design does less work on a CPU, not what a GPU does.
import * as tf from '@tensorflow/tfjs-core';
import { useWebGpuKernels } from '../dist/index.js';
import { padding, relativeDifference, setUp, timeCalls } from './conv-common.mjs';

const { batch, reps, shapes } = await setUp('Conv2DBackpropInput');
const NAIVE = 'WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE';

async function time(set, naive, dy, filter, inputShape, strides, p) {
  useWebGpuKernels(set);
  tf.env().set(NAIVE, naive);
  const attrs = { strides, pad: padding(p), dataFormat: 'NHWC', dimRoundingMode: undefined, inputShape };
  const timed = await timeCalls(() => tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, attrs), reps);
  tf.env().set(NAIVE, true);
  return timed;
}

console.log(
  `${'shape (batch '.concat(batch, ')').padEnd(34)} ${'stock'.padStart(10)} ${'stock MM'.padStart(10)} ${'alexnet'.padStart(10)} ${'ratio'.padStart(7)} ${'rel. diff'.padStart(11)}`,
);
for (const [name, xShape, filterShape, strides, p] of shapes) {
  const info = tf.backend_util.computeConv2DInfo(xShape, filterShape, strides, 1, p);
  const dy = tf.randomUniform(info.outShape, -1, 1, 'float32', 1);
  const filter = tf.randomUniform(filterShape, -1, 1, 'float32', 2);
  const stock = await time('stock', true, dy, filter, xShape, strides, p);
  const mm = await time('stock', false, dy, filter, xShape, strides, p);
  const ours = await time('alexnet', true, dy, filter, xShape, strides, p);
  const diff = relativeDifference(stock.values, ours.values);
  console.log(
    `${name.padEnd(34)} ${stock.ms.toFixed(1).padStart(10)} ${mm.ms.toFixed(1).padStart(10)} ${ours.ms.toFixed(1).padStart(10)} ${(stock.ms / ours.ms).toFixed(1).padStart(6)}x ${diff.toExponential(1).padStart(11)}`,
  );
  tf.dispose([dy, filter]);
}
