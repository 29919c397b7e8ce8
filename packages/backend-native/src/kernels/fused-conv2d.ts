import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { type Conv2D, FusedConv2D, type KernelConfig } from '@tensorflow/tfjs-core';
import { BACKEND_NAME } from '../backend-name.js';
import { channelsLast, convInfo, nativeShape } from '../kernel-utils/geometry.js';
import { cpuFallback, nativeAddon } from '../kernel-utils/runtime.js';
import { allFloat32, allocate, type KernelArgs, output, valuesOf } from '../kernel-utils/tensors.js';

/**
 * Forward convolution of NHWC float32 tensors, optionally with bias and ReLU fused (FusedConv2D); Conv2D is the
 * case without either. Other layouts, dtypes and activations go to the CPU kernel named `kernelName`.
 */
export function convolve(
  args: KernelArgs,
  kernelName: typeof Conv2D | typeof FusedConv2D,
): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  const attrs = args.attrs as unknown as tf.FusedConv2DAttrs;
  const activation = attrs.activation ?? 'linear';
  const info = x && filter ? convInfo(x.shape, filter.shape, attrs, attrs.dilations) : undefined;
  const supported =
    info !== undefined &&
    channelsLast(attrs.dataFormat) &&
    allFloat32(x, filter, bias) &&
    preluActivationWeights === undefined &&
    (activation === 'linear' || activation === 'relu') &&
    (bias === undefined || tf.util.sizeFromShape(bias.shape) === info.outChannels);
  if (!supported || !x || !filter) return cpuFallback(kernelName, args);
  const y = allocate(backend, tf.util.sizeFromShape(info.outShape));
  nativeAddon().conv2d(
    nativeShape(info),
    valuesOf(backend, x),
    valuesOf(backend, filter),
    bias ? valuesOf(backend, bias) : null,
    activation === 'relu',
    y,
  );
  return output(backend, info.outShape, y);
}

/** Native FusedConv2D with bias and ReLU (or no activation), NHWC float32: im2col + the blocked matrix product. */
export const fusedConv2DConfig: KernelConfig = {
  kernelName: FusedConv2D,
  backendName: BACKEND_NAME,
  kernelFunc: (args) => convolve(args, FusedConv2D),
};
