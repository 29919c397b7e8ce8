import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { allocate, type KernelArgs, type KernelContext, output, valuesOf } from './shared.js';

const OPS = { Add: 0, Sub: 1, Multiply: 2 } as const;

/** Whether `small`, right-aligned against `shape`, is its trailing dimensions (leading ones dropped). */
function isTrailing(small: number[], shape: number[]): boolean {
  const trimmed = small.slice(small.findIndex((d) => d !== 1) < 0 ? small.length : small.findIndex((d) => d !== 1));
  return trimmed.length <= shape.length && trimmed.every((d, i) => d === shape[shape.length - trimmed.length + i]);
}

/**
 * Add, Sub and Multiply of float32 tensors where each operand is the whole output or repeats along it (a scalar, a
 * bias row): dropout masks, loss terms and bias additions. The CPU kernels index every element through generic
 * broadcasting. Other broadcasts and dtypes go to the CPU kernel.
 */
function binary(
  args: KernelArgs,
  context: KernelContext,
  kernelName: keyof typeof OPS,
): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { a, b } = args.inputs as Record<string, tf.TensorInfo>;
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return context.fallback(kernelName, args);
  const shape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
  const size = tf.util.sizeFromShape(shape);
  const sizeA = tf.util.sizeFromShape(a.shape);
  const sizeB = tf.util.sizeFromShape(b.shape);
  const fits = (t: tf.TensorInfo, n: number) => n === size || (n > 0 && isTrailing(t.shape, shape));
  if (size === 0 || !fits(a, sizeA) || !fits(b, sizeB)) return context.fallback(kernelName, args);
  const out = allocate(backend, size);
  context.addon.binary(OPS[kernelName], valuesOf(backend, a), valuesOf(backend, b), out);
  return output(backend, shape, out);
}

/** Native Add, Sub and Multiply for same-shape, scalar and trailing broadcasts. */
export function binaryKernels(context: KernelContext): Record<string, tf.KernelFunc> {
  return {
    Add: (args) => binary(args, context, 'Add'),
    Sub: (args) => binary(args, context, 'Sub'),
    Multiply: (args) => binary(args, context, 'Multiply'),
  };
}
