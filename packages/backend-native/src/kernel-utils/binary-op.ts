import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { cpuFallback, nativeAddon } from './runtime.js';
import { allocate, type KernelArgs, output, valuesOf } from './tensors.js';

/** The addon's codes for the element-wise operations it runs (native/elementwise.c). */
const OPS = { Add: 0, Sub: 1, Multiply: 2 } as const;

/** The element-wise kernels the addon runs. */
export type BinaryKernelName = keyof typeof OPS;

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
export function binaryOp(args: KernelArgs, kernelName: BinaryKernelName): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { a, b } = args.inputs as Record<string, tf.TensorInfo>;
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return cpuFallback(kernelName, args);
  const shape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
  const size = tf.util.sizeFromShape(shape);
  const sizeA = tf.util.sizeFromShape(a.shape);
  const sizeB = tf.util.sizeFromShape(b.shape);
  const fits = (t: tf.TensorInfo, n: number) => n === size || (n > 0 && isTrailing(t.shape, shape));
  if (size === 0 || !fits(a, sizeA) || !fits(b, sizeB)) return cpuFallback(kernelName, args);
  const out = allocate(backend, size);
  nativeAddon().binary(OPS[kernelName], valuesOf(backend, a), valuesOf(backend, b), out);
  return output(backend, shape, out);
}
