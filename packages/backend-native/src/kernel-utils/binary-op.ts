import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { cpuFallback, nativeAddon } from './runtime.js';
import { allocate, type KernelArgs, output, valuesOf } from './tensors.js';

/** The addon's codes for the element-wise operations it runs (native/elementwise.c). */
const OPS = { Add: 0, Sub: 1, Multiply: 2, GreaterEqual: 3 } as const;

/** The element-wise kernels the addon runs. */
export type BinaryKernelName = keyof typeof OPS;

/**
 * How an operand of shape `shape` repeats along a broadcast output of shape `out`, as the addon reads it: element
 * `i` of the output reads `values[floor(i / inner) % size]`. That holds when the operand's dimensions other than
 * leading and trailing ones equal the output's (a scalar, a bias row `[N]`, a column `[M, 1]`, `[C, 1, 1]` against
 * `[N, C, H, W]`); undefined otherwise (`[M, 1, N]` against `[M, K, N]`), for the CPU kernel.
 */
export function repeatLayout(shape: number[], out: number[]): { inner: number } | undefined {
  const aligned = [...new Array<number>(out.length - shape.length).fill(1), ...shape];
  const first = aligned.findIndex((d) => d !== 1);
  if (first < 0) return { inner: 1 };
  let last = aligned.length - 1;
  while (aligned[last] === 1) last--;
  for (let d = first; d <= last; d++) if (aligned[d] !== out[d]) return undefined;
  return { inner: tf.util.sizeFromShape(out.slice(last + 1)) };
}

/**
 * Add, Sub, Multiply and GreaterEqual of float32 tensors where each operand is the whole output or repeats along it
 * (see {@link repeatLayout}): dropout's mask and scaling, the loss's `logits - logsumexp` and its gradient, bias
 * additions. The CPU kernels index every broadcast element through generic index arithmetic: 30-150x slower at those
 * shapes. Other broadcasts and dtypes go to the CPU kernel.
 */
export function binaryOp(args: KernelArgs, kernelName: BinaryKernelName): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { a, b } = args.inputs as Record<string, tf.TensorInfo>;
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return cpuFallback(kernelName, args);
  const shape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
  const size = tf.util.sizeFromShape(shape);
  const layoutA = repeatLayout(a.shape, shape);
  const layoutB = repeatLayout(b.shape, shape);
  if (size === 0 || !layoutA || !layoutB) return cpuFallback(kernelName, args);
  const addon = nativeAddon();
  const valuesA = valuesOf(backend, a);
  const valuesB = valuesOf(backend, b);
  if (kernelName === 'GreaterEqual') {
    // Booleans are one byte an element in the CPU backend's storage; small next to the float arrays the pool keeps.
    const mask = new Uint8Array(size);
    addon.binary(OPS.GreaterEqual, valuesA, valuesB, mask, layoutA.inner, layoutB.inner);
    return backend.makeTensorInfo(shape, 'bool', mask);
  }
  const out = allocate(backend, size);
  addon.binary(OPS[kernelName], valuesA, valuesB, out, layoutA.inner, layoutB.inner);
  return output(backend, shape, out);
}
