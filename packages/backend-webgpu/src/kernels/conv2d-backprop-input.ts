import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import * as tf from '@tensorflow/tfjs-core';
import {
  type BackpropInputPlan,
  Conv2DBackpropInputGemmProgram,
  planBackpropInput,
} from './conv2d-backprop-input-program.js';
import { takesConvGradient } from './gemm-wgsl.js';
import { stockWebGpuKernel } from './stock.js';
import { maxWorkgroupsPerDimension, runProgram } from './webgpu-internals.js';

/** What the kernel was given, as tfjs-core's `Conv2DBackpropInputAttrs` (plus `dilations`, which TF.js never sets). */
type Attrs = tf.Conv2DBackpropInputAttrs & { dilations?: number | [number, number] };

function convInfo(
  inputShape: readonly number[],
  filterShape: readonly number[],
  strides: number | [number, number],
  pad: tf.Conv2DBackpropInputAttrs['pad'],
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    inputShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
}

function planFor(info: tf.backend_util.Conv2DInfo, maxDispatch?: number): BackpropInputPlan {
  return planBackpropInput(
    info.inShape,
    [info.filterHeight, info.filterWidth, info.inChannels, info.outChannels],
    info.outShape,
    [info.strideHeight, info.strideWidth],
    [info.padInfo.top, info.padInfo.left],
    maxDispatch,
  );
}

/**
 * How this kernel would compute the input gradient (NHWC, `inputShape`) of a convolution with this HWIO filter
 * shape, strides and padding: the stride phases, the largest phase's GEMM, the share of the dense GEMM's work kept,
 * and the dispatch. For tests and benchmarks.
 */
export function conv2DBackpropInputPlan(
  inputShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  strides: number | [number, number],
  pad: tf.Conv2DBackpropInputAttrs['pad'],
): BackpropInputPlan {
  return planFor(convInfo(inputShape, filterShape, strides, pad));
}

function conv2DBackpropInput(args: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}): tf.TensorInfo {
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as Attrs;
  const backend = args.backend as WebGPUBackend;
  const { inputShape, strides, pad, dimRoundingMode } = attrs;
  // TF.js's own kernel takes what this one does not: NCHW, dilations (which TF.js's gradient never asks for), ints.
  if (!takesConvGradient(attrs, [dy, filter]))
    return stockWebGpuKernel(tf.Conv2DBackpropInput).kernelFunc(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  const info = convInfo(inputShape, filter.shape, strides, pad, dimRoundingMode);
  const plan = planFor(info, maxWorkgroupsPerDimension(backend));
  const program = new Conv2DBackpropInputGemmProgram(info.inShape, plan);
  return runProgram(
    backend,
    program,
    [dy, filter],
    [
      { type: 'int32', data: [info.padInfo.top, info.padInfo.left] },
      { type: 'int32', data: [info.strideHeight, info.strideWidth] },
      { type: 'int32', data: [plan.tilesN] },
    ],
  );
}

/**
 * Conv2DBackpropInput (the input gradient of a convolution) for the `webgpu` backend: a tiled implicit GEMM per
 * stride phase (`conv2d-backprop-input-program.ts`) for NHWC float32 with dilation 1, what TF.js's convolution
 * gradient asks for; any other case goes to TF.js's own kernel. TF.js 4.22's own (its default, the naive program)
 * runs one invocation per dx element, each summing its `KH*KW*Cout` terms alone, with no reuse through workgroup
 * memory.
 */
export const conv2DBackpropInputConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropInput,
  backendName: 'webgpu',
  kernelFunc: conv2DBackpropInput as unknown as tf.KernelFunc,
};
