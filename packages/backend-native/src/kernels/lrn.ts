import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { allFloat32, allocate, type KernelArgs, type KernelContext, output, valuesOf } from './shared.js';

/** TF.js's LRN: y = x / (bias + alpha * sum of x^2 over channels c - r .. c + r)^beta (no division by the size). */
function lrn(args: KernelArgs, context: KernelContext): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { x } = args.inputs as Record<string, tf.TensorInfo>;
  if (!allFloat32(x) || x.shape.length !== 4) return context.fallback('LRN', args);
  const { depthRadius, bias, alpha, beta } = args.attrs as unknown as tf.LRNAttrs;
  const y = allocate(backend, tf.util.sizeFromShape(x.shape));
  context.addon.lrn(x.shape[3], depthRadius, bias, alpha, beta, valuesOf(backend, x), y);
  return output(backend, x.shape, y);
}

function lrnGrad(args: KernelArgs, context: KernelContext): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { x, y, dy } = args.inputs as Record<string, tf.TensorInfo>;
  if (!allFloat32(x, y, dy) || x.shape.length !== 4) return context.fallback('LRNGrad', args);
  const { depthRadius, bias, alpha, beta } = args.attrs as unknown as tf.LRNGradAttrs;
  const dx = allocate(backend, tf.util.sizeFromShape(x.shape));
  context.addon.lrnGrad(
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

/** Native LRN and LRNGrad. */
export function lrnKernels(context: KernelContext): Record<string, tf.KernelFunc> {
  return {
    LRN: (args) => lrn(args, context),
    LRNGrad: (args) => lrnGrad(args, context),
  };
}
