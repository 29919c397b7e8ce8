import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { type KernelConfig, LRNGrad } from '@tensorflow/tfjs-core';
import { BACKEND_NAME } from '../backend-name.js';
import { cpuFallback, nativeAddon } from '../kernel-utils/runtime.js';
import { allFloat32, allocate, type KernelArgs, output, valuesOf } from '../kernel-utils/tensors.js';

/** The gradient of TF.js's LRN (see lrn.ts), from its input, its output and the output's gradient. */
function lrnGrad(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { x, y, dy } = args.inputs as Record<string, tf.TensorInfo>;
  if (!allFloat32(x, y, dy) || x.shape.length !== 4) return cpuFallback(LRNGrad, args);
  const { depthRadius, bias, alpha, beta } = args.attrs as unknown as tf.LRNGradAttrs;
  const dx = allocate(backend, tf.util.sizeFromShape(x.shape));
  nativeAddon().lrnGrad(
    x.shape[3],
    depthRadius,
    bias,
    alpha,
    beta,
    valuesOf(backend, x),
    valuesOf(backend, y),
    valuesOf(backend, dy),
    dx,
  );
  return output(backend, x.shape, dx);
}

/** Native LRNGrad for rank-4 float32. */
export const lrnGradConfig: KernelConfig = {
  kernelName: LRNGrad,
  backendName: BACKEND_NAME,
  kernelFunc: lrnGrad,
};
