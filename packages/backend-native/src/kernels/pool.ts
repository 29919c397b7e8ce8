import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { allFloat32, allocate, type KernelArgs, type KernelContext, nativeShape, output, valuesOf } from './shared.js';

function poolInfo(x: tf.TensorInfo, attrs: tf.MaxPoolAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
}

function maxPool(args: KernelArgs, context: KernelContext): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { x } = args.inputs as Record<string, tf.TensorInfo>;
  if (!allFloat32(x)) return context.fallback('MaxPool', args);
  const info = poolInfo(x, args.attrs as unknown as tf.MaxPoolAttrs);
  const y = allocate(backend, tf.util.sizeFromShape(info.outShape));
  context.addon.maxPool(nativeShape(info), valuesOf(backend, x), y);
  return output(backend, info.outShape, y);
}

/** The gradient goes to the first maximum of each window (row-major), like TF.js's CPU kernel and PyTorch. */
function maxPoolGrad(args: KernelArgs, context: KernelContext): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { dy, input } = args.inputs as Record<string, tf.TensorInfo>;
  if (!allFloat32(dy, input)) return context.fallback('MaxPoolGrad', args);
  const info = poolInfo(input, args.attrs as unknown as tf.MaxPoolAttrs);
  const dx = allocate(backend, tf.util.sizeFromShape(input.shape));
  context.addon.maxPoolGrad(nativeShape(info), valuesOf(backend, input), valuesOf(backend, dy), dx);
  return output(backend, input.shape, dx);
}

/** Native MaxPool and MaxPoolGrad for NHWC float32. */
export function poolKernels(context: KernelContext): Record<string, tf.KernelFunc> {
  return {
    MaxPool: (args) => maxPool(args, context),
    MaxPoolGrad: (args) => maxPoolGrad(args, context),
  };
}
