import { RELU_GRAD } from '@alexnet/tfjs-extensions';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { BACKEND_NAME } from '../backend-name.js';
import { nativeAddon } from '../kernel-utils/runtime.js';
import { allocate, type KernelArgs, output, valuesOf } from '../kernel-utils/tensors.js';

/** dx = dy where x > 0, else 0 (TF.js's and PyTorch's choice of 0 at x = 0). */
function reluGrad(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as MathBackendCPU;
  const { x, dy } = args.inputs as Record<string, tf.TensorInfo>;
  const dx = allocate(backend, tf.util.sizeFromShape(x.shape));
  nativeAddon().reluGrad(valuesOf(backend, x), valuesOf(backend, dy), dx);
  return output(backend, x.shape, dx);
}

/** The single-pass ReLU gradient ({@link RELU_GRAD}); inputs `x` and `dy`, float32 of one shape. */
export const reluGradConfig: KernelConfig = {
  kernelName: RELU_GRAD,
  backendName: BACKEND_NAME,
  kernelFunc: reluGrad,
};
