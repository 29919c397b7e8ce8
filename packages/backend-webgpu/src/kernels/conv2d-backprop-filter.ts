import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import * as tf from '@tensorflow/tfjs-core';
import {
  Conv2DBackpropFilterGemmProgram,
  Conv2DBackpropFilterReduceProgram,
  MAX_SCRATCH_BYTES,
  planSplitK,
  type SplitKPlan,
  TILE_K,
} from './conv2d-backprop-filter-program.js';
import { takesConvGradient } from './gemm-wgsl.js';
import { stockWebGpuKernel } from './stock.js';
import { maxStorageBinding, runProgram } from './webgpu-internals.js';

/** What the kernel was given, as tfjs-core's `Conv2DBackpropFilterAttrs` (plus `dilations`, which TF.js never sets). */
type Attrs = tf.Conv2DBackpropFilterAttrs & { dilations?: number | [number, number] };

/**
 * How this kernel would compute the filter gradient of `x` (NHWC) for this filter shape, strides and padding: the
 * GEMM's sizes and its split into slices of `K` (see `planSplitK`). For tests and benchmarks.
 */
export function conv2DBackpropFilterPlan(
  xShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  strides: number | [number, number],
  pad: tf.Conv2DBackpropFilterAttrs['pad'],
  maxScratchBytes?: number,
): SplitKPlan {
  const info = tf.backend_util.computeConv2DInfo(xShape, filterShape, strides, 1, pad);
  return planFor(info, maxScratchBytes);
}

function planFor(info: tf.backend_util.Conv2DInfo, maxScratchBytes?: number): SplitKPlan {
  const m = info.filterHeight * info.filterWidth * info.inChannels;
  const k = info.batchSize * info.outHeight * info.outWidth;
  return planSplitK(m, info.outChannels, k, maxScratchBytes);
}

function conv2DBackpropFilter(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as Attrs;
  const backend = args.backend as WebGPUBackend;
  const { strides, pad, dimRoundingMode, filterShape } = attrs;
  // TF.js's own kernel takes what this one does not: NCHW, dilations (which TF.js's gradient never asks for), ints.
  if (!takesConvGradient(attrs, [x, dy]))
    return stockWebGpuKernel(tf.Conv2DBackpropFilter).kernelFunc(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  const plan = planFor(info, Math.min(MAX_SCRATCH_BYTES, maxStorageBinding(backend)));
  const uniforms = [
    { type: 'int32' as const, data: [info.padInfo.top, info.padInfo.left] },
    { type: 'int32' as const, data: [info.strideHeight, info.strideWidth] },
    { type: 'int32' as const, data: [info.filterHeight, info.filterWidth] },
    { type: 'int32' as const, data: [plan.m] },
    { type: 'int32' as const, data: [plan.n] },
    { type: 'int32' as const, data: [plan.k] },
    { type: 'int32' as const, data: [plan.kPerSlice] },
    { type: 'int32' as const, data: [plan.kPerSlice / TILE_K] },
  ];
  const gemm = new Conv2DBackpropFilterGemmProgram(plan);
  if (plan.slices === 1) {
    const output = backend.makeTensorInfo(filterShape, 'float32');
    return runProgram(backend, gemm, [x, dy], uniforms, output);
  }
  const partial = runProgram(backend, gemm, [x, dy], uniforms);
  const reduce = new Conv2DBackpropFilterReduceProgram(filterShape);
  const output = runProgram(backend, reduce, [partial], [{ type: 'int32', data: [plan.slices] }]);
  backend.disposeData(partial.dataId);
  return output;
}

/**
 * Conv2DBackpropFilter (the filter gradient of a convolution) for the `webgpu` backend: a tiled implicit GEMM with
 * split-K (`conv2d-backprop-filter-program.ts`) for NHWC float32 with dilation 1, what TF.js's convolution gradient
 * asks for; any other case goes to TF.js's own kernel. TF.js 4.22's own runs one invocation per filter element, each
 * summing `batch*OH*OW` products in a row.
 */
export const conv2DBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'webgpu',
  kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc,
};
