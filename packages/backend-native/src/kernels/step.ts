import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { type KernelConfig, Step } from '@tensorflow/tfjs-core';
import { BACKEND_NAME } from '../backend-name.js';
import { cpuFallback, nativeAddon } from '../kernel-utils/runtime.js';
import { allFloat32, allocate, type KernelArgs, output, valuesOf } from '../kernel-utils/tensors.js';

/** TF.js's Step: 1 where x > 0, else `alpha` (NaN stays NaN); the mask of a fused ReLU's gradient. */
function step(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { x } = args.inputs as Record<string, tf.TensorInfo>;
  if (!allFloat32(x)) return cpuFallback(Step, args);
  const out = allocate(backend, tf.util.sizeFromShape(x.shape));
  nativeAddon().step(valuesOf(backend, x), (args.attrs as unknown as tf.StepAttrs).alpha, out);
  return output(backend, x.shape, out);
}

/** Native Step for float32. */
export const stepConfig: KernelConfig = {
  kernelName: Step,
  backendName: BACKEND_NAME,
  kernelFunc: step,
};
