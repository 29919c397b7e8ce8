import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { type KernelConfig, Relu } from '@tensorflow/tfjs-core';
import { BACKEND_NAME } from '../backend-name.js';
import { cpuFallback, nativeAddon } from '../kernel-utils/runtime.js';
import { allFloat32, allocate, type KernelArgs, output, valuesOf } from '../kernel-utils/tensors.js';

function relu(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { x } = args.inputs as Record<string, tf.TensorInfo>;
  if (!allFloat32(x)) return cpuFallback(Relu, args);
  const y = allocate(backend, tf.util.sizeFromShape(x.shape));
  nativeAddon().relu(valuesOf(backend, x), y);
  return output(backend, x.shape, y);
}

/** Native Relu for float32. */
export const reluConfig: KernelConfig = {
  kernelName: Relu,
  backendName: BACKEND_NAME,
  kernelFunc: relu,
};
