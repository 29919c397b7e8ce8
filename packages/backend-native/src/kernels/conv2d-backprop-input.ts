import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { Conv2DBackpropInput, type KernelConfig } from '@tensorflow/tfjs-core';
import { BACKEND_NAME } from '../backend-name.js';
import { channelsLast, convInfo, nativeShape } from '../kernel-utils/geometry.js';
import { cpuFallback, nativeAddon } from '../kernel-utils/runtime.js';
import { allFloat32, allocate, type KernelArgs, output, valuesOf } from '../kernel-utils/tensors.js';

/** The convolution's input gradient: the matrix product transposed, then col2im. NHWC float32 only. */
function conv2DBackpropInput(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { dy, filter } = args.inputs as Record<string, tf.TensorInfo>;
  const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  if (!channelsLast(attrs.dataFormat) || !allFloat32(dy, filter)) return cpuFallback(Conv2DBackpropInput, args);
  const info = convInfo(attrs.inputShape, filter.shape, attrs);
  const dx = allocate(backend, tf.util.sizeFromShape(info.inShape));
  nativeAddon().conv2dBackpropInput(nativeShape(info), valuesOf(backend, dy), valuesOf(backend, filter), dx);
  return output(backend, info.inShape, dx);
}

/** Native Conv2DBackpropInput for NHWC float32. */
export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: BACKEND_NAME,
  kernelFunc: conv2DBackpropInput,
};
