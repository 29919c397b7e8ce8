import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { allFloat32, allocate, type KernelContext, nativeShape, output, valuesOf } from './shared.js';

type Args = Parameters<tf.KernelFunc>[0];

function channelsLast(dataFormat: unknown): boolean {
  return dataFormat === undefined || dataFormat === 'NHWC';
}

/** Forward convolution, optionally with bias and ReLU fused (FusedConv2D); other activations go to the CPU kernel. */
function convolve(
  args: Args,
  context: KernelContext,
  kernelName: 'Conv2D' | 'FusedConv2D',
): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  const attrs = args.attrs as unknown as tf.FusedConv2DAttrs;
  const activation = attrs.activation ?? 'linear';
  const info =
    x && filter
      ? tf.backend_util.computeConv2DInfo(
          x.shape as [number, number, number, number],
          filter.shape as [number, number, number, number],
          attrs.strides,
          attrs.dilations,
          attrs.pad,
          attrs.dimRoundingMode,
          false,
          'channelsLast',
        )
      : undefined;
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

function backpropInput(args: Args, context: KernelContext): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { dy, filter } = args.inputs as Record<string, tf.TensorInfo>;
  const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  if (!channelsLast(attrs.dataFormat) || !allFloat32(dy, filter)) return context.fallback('Conv2DBackpropInput', args);
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape,
    filter.shape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  const dx = allocate(backend, tf.util.sizeFromShape(info.inShape));
  context.addon.conv2dBackpropInput(nativeShape(info), valuesOf(backend, dy), valuesOf(backend, filter), dx);
  return output(backend, info.inShape, dx);
}

function backpropFilter(args: Args, context: KernelContext): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { x, dy } = args.inputs as Record<string, tf.TensorInfo>;
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  if (!channelsLast(attrs.dataFormat) || !allFloat32(x, dy)) return context.fallback('Conv2DBackpropFilter', args);
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
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
