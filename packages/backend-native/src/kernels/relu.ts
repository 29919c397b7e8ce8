import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { allFloat32, allocate, type KernelArgs, type KernelContext, output, valuesOf } from './shared.js';

/**
 * The name of the ReLU gradient kernel. TF.js has none (it differentiates ReLU as dy * step(x), three element-wise
 * kernels); this backend registers one and {@link useNativeReluGradient} points ReLU's gradient at it.
 */
export const RELU_GRAD = 'AlexnetReluGrad';

function relu(args: KernelArgs, context: KernelContext): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { x } = args.inputs as Record<string, tf.TensorInfo>;
  if (!allFloat32(x)) return context.fallback('Relu', args);
  const y = allocate(backend, tf.util.sizeFromShape(x.shape));
  context.addon.relu(valuesOf(backend, x), y);
  return output(backend, x.shape, y);
}

/** dx = dy where x > 0, else 0 (TF.js's and PyTorch's choice of 0 at x = 0). */
function reluGrad(args: KernelArgs, context: KernelContext): tf.TensorInfo {
  const backend = args.backend as MathBackendCPU;
  const { x, dy } = args.inputs as Record<string, tf.TensorInfo>;
  const dx = allocate(backend, tf.util.sizeFromShape(x.shape));
  context.addon.reluGrad(valuesOf(backend, x), valuesOf(backend, dy), dx);
  return output(backend, x.shape, dx);
}

/** TF.js's Step: 1 where x > 0, else `alpha` (NaN stays NaN); the mask of a fused ReLU's gradient. */
function step(args: KernelArgs, context: KernelContext): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { x } = args.inputs as Record<string, tf.TensorInfo>;
  if (!allFloat32(x)) return context.fallback('Step', args);
  const out = allocate(backend, tf.util.sizeFromShape(x.shape));
  context.addon.step(valuesOf(backend, x), (args.attrs as unknown as tf.StepAttrs).alpha, out);
  return output(backend, x.shape, out);
}

/** Native Relu, the ReLU gradient and Step. */
export function reluKernels(context: KernelContext): Record<string, tf.KernelFunc> {
  return {
    Relu: (args) => relu(args, context),
    Step: (args) => step(args, context),
    [RELU_GRAD]: (args) => reluGrad(args, context),
  };
}
