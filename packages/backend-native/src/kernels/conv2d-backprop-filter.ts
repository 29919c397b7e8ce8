import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { Conv2DBackpropFilter, type KernelConfig } from '@tensorflow/tfjs-core';
import { BACKEND_NAME } from '../backend-name.js';
import { channelsLast, convInfo, nativeShape } from '../kernel-utils/geometry.js';
import { cpuFallback, nativeAddon } from '../kernel-utils/runtime.js';
import { allFloat32, allocate, type KernelArgs, output, valuesOf } from '../kernel-utils/tensors.js';

/** The convolution's filter gradient; per-thread sums are added in a fixed order. NHWC float32 only. */
function conv2DBackpropFilter(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { x, dy } = args.inputs as Record<string, tf.TensorInfo>;
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  if (!channelsLast(attrs.dataFormat) || !allFloat32(x, dy)) return cpuFallback(Conv2DBackpropFilter, args);
  const info = convInfo(x.shape, attrs.filterShape, attrs);
  const dw = allocate(backend, tf.util.sizeFromShape(info.filterShape));
  nativeAddon().conv2dBackpropFilter(nativeShape(info), valuesOf(backend, x), valuesOf(backend, dy), dw);
  return output(backend, info.filterShape, dw);
}

/** Native Conv2DBackpropFilter for NHWC float32. */
export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: BACKEND_NAME,
  kernelFunc: conv2DBackpropFilter,
};
