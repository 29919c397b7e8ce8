import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { allFloat32, allocate, type KernelArgs, type KernelContext, nativeShape, output, valuesOf } from './shared.js';

function channelsLast(dataFormat: unknown): boolean {
  return dataFormat === undefined || dataFormat === 'NHWC';
}

type Shape4 = [number, number, number, number];

/** TF.js's convolution geometry for NHWC tensors, the only layout these kernels take. */
function nhwcInfo(
  xShape: number[],
  filterShape: number[],
  attrs: Pick<tf.Conv2DAttrs, 'strides' | 'pad' | 'dimRoundingMode'>,
  dilations: tf.Conv2DAttrs['dilations'] = 1,
): tf.backend_util.Conv2DInfo {
  const { strides, pad, dimRoundingMode } = attrs;
  const depthwise = false;
  return tf.backend_util.computeConv2DInfo(
    xShape as Shape4,
    filterShape as Shape4,
    strides,
    dilations,
    pad,
    dimRoundingMode,
    depthwise,
    'channelsLast',
  );
}

/** Forward convolution, optionally with bias and ReLU fused (FusedConv2D); other activations go to the CPU kernel. */
function convolve(
  args: KernelArgs,
  context: KernelContext,
  kernelName: 'Conv2D' | 'FusedConv2D',
): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  const attrs = args.attrs as unknown as tf.FusedConv2DAttrs;
  const activation = attrs.activation ?? 'linear';
  const info = x && filter ? nhwcInfo(x.shape, filter.shape, attrs, attrs.dilations) : undefined;
  const supported =
    info !== undefined &&
    channelsLast(attrs.dataFormat) &&
    allFloat32(x, filter, bias) &&
    preluActivationWeights === undefined &&
    (activation === 'linear' || activation === 'relu') &&
    (bias === undefined || tf.util.sizeFromShape(bias.shape) === info.outChannels);
  if (!supported || !x || !filter) return context.fallback(kernelName, args);
  const y = allocate(backend, tf.util.sizeFromShape(info.outShape));
  context.addon.conv2d(
    nativeShape(info),
    valuesOf(backend, x),
    valuesOf(backend, filter),
    bias ? valuesOf(backend, bias) : null,
    activation === 'relu',
    y,
  );
  return output(backend, info.outShape, y);
}

function backpropInput(args: KernelArgs, context: KernelContext): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { dy, filter } = args.inputs as Record<string, tf.TensorInfo>;
  const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  if (!channelsLast(attrs.dataFormat) || !allFloat32(dy, filter)) return context.fallback('Conv2DBackpropInput', args);
  const info = nhwcInfo(attrs.inputShape, filter.shape, attrs);
  const dx = allocate(backend, tf.util.sizeFromShape(info.inShape));
  context.addon.conv2dBackpropInput(nativeShape(info), valuesOf(backend, dy), valuesOf(backend, filter), dx);
  return output(backend, info.inShape, dx);
}

function backpropFilter(args: KernelArgs, context: KernelContext): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { x, dy } = args.inputs as Record<string, tf.TensorInfo>;
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  if (!channelsLast(attrs.dataFormat) || !allFloat32(x, dy)) return context.fallback('Conv2DBackpropFilter', args);
  const info = nhwcInfo(x.shape, attrs.filterShape, attrs);
  const dw = allocate(backend, tf.util.sizeFromShape(info.filterShape));
  context.addon.conv2dBackpropFilter(nativeShape(info), valuesOf(backend, x), valuesOf(backend, dy), dw);
  return output(backend, info.filterShape, dw);
}

/** Native Conv2D, FusedConv2D (bias, ReLU), Conv2DBackpropInput and Conv2DBackpropFilter for NHWC float32. */
export function convKernels(context: KernelContext): Record<string, tf.KernelFunc> {
  return {
    Conv2D: (args) => convolve(args, context, 'Conv2D'),
    FusedConv2D: (args) => convolve(args, context, 'FusedConv2D'),
    Conv2DBackpropInput: (args) => backpropInput(args, context),
    Conv2DBackpropFilter: (args) => backpropFilter(args, context),
  };
}
