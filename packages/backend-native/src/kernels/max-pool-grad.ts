import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { type KernelConfig, MaxPoolGrad } from '@tensorflow/tfjs-core';
import { BACKEND_NAME } from '../backend-name.js';
import { nativeShape, poolInfo } from '../kernel-utils/geometry.js';
import { cpuFallback, nativeAddon } from '../kernel-utils/runtime.js';
import { allFloat32, allocate, type KernelArgs, output, valuesOf } from '../kernel-utils/tensors.js';

/** The gradient goes to the first maximum of each window (row-major), like TF.js's CPU kernel and PyTorch. */
function maxPoolGrad(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { dy, input, output: y } = args.inputs as Record<string, tf.TensorInfo>;
  // y (the forward's output, which TF.js's gradient passes) locates each window's maximum without a search.
  if (!allFloat32(dy, input, y) || !y) return cpuFallback(MaxPoolGrad, args);
  const info = poolInfo(input, args.attrs as unknown as tf.MaxPoolAttrs);
  const dx = allocate(backend, tf.util.sizeFromShape(input.shape));
  nativeAddon().maxPoolGrad(
    nativeShape(info),
    valuesOf(backend, input),
    valuesOf(backend, y),
    valuesOf(backend, dy),
    dx,
  );
  return output(backend, input.shape, dx);
}

/** Native MaxPoolGrad for NHWC float32. */
export const maxPoolGradConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: BACKEND_NAME,
  kernelFunc: maxPoolGrad,
};
