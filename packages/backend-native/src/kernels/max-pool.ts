import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { type KernelConfig, MaxPool } from '@tensorflow/tfjs-core';
import { BACKEND_NAME } from '../backend-name.js';
import { nativeShape, poolInfo } from '../kernel-utils/geometry.js';
import { cpuFallback, nativeAddon } from '../kernel-utils/runtime.js';
import { allFloat32, allocate, type KernelArgs, output, valuesOf } from '../kernel-utils/tensors.js';

function maxPool(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { x } = args.inputs as Record<string, tf.TensorInfo>;
  if (!allFloat32(x)) return cpuFallback(MaxPool, args);
  const info = poolInfo(x, args.attrs as unknown as tf.MaxPoolAttrs);
  const y = allocate(backend, tf.util.sizeFromShape(info.outShape));
  nativeAddon().maxPool(nativeShape(info), valuesOf(backend, x), y);
  return output(backend, info.outShape, y);
}

/** Native MaxPool for NHWC float32. */
export const maxPoolConfig: KernelConfig = {
  kernelName: MaxPool,
  backendName: BACKEND_NAME,
  kernelFunc: maxPool,
};
