import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { type KernelConfig, LRN } from '@tensorflow/tfjs-core';
import { BACKEND_NAME } from '../backend-name.js';
import { cpuFallback, nativeAddon } from '../kernel-utils/runtime.js';
import { allFloat32, allocate, type KernelArgs, output, valuesOf } from '../kernel-utils/tensors.js';

/** TF.js's LRN: y = x / (bias + alpha * sum of x^2 over channels c - r .. c + r)^beta (no division by the size). */
function lrn(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { x } = args.inputs as Record<string, tf.TensorInfo>;
  if (!allFloat32(x) || x.shape.length !== 4) return cpuFallback(LRN, args);
  const { depthRadius, bias, alpha, beta } = args.attrs as unknown as tf.LRNAttrs;
  const y = allocate(backend, tf.util.sizeFromShape(x.shape));
  nativeAddon().lrn(x.shape[3], depthRadius, bias, alpha, beta, valuesOf(backend, x), y);
  return output(backend, x.shape, y);
}

/** Native LRN for rank-4 float32. */
export const lrnConfig: KernelConfig = {
  kernelName: LRN,
  backendName: BACKEND_NAME,
  kernelFunc: lrn,
};
