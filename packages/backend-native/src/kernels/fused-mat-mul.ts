import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { _FusedMatMul, type BatchMatMul, type KernelConfig } from '@tensorflow/tfjs-core';
import { BACKEND_NAME } from '../backend-name.js';
import { cpuFallback, nativeAddon } from '../kernel-utils/runtime.js';
import { allFloat32, allocate, type KernelArgs, output, valuesOf } from '../kernel-utils/tensors.js';

/**
 * Batched matrix products in every transpose mode. Batch dimensions must be equal or one side's must be all ones
 * (broadcast); anything else goes to the CPU kernel. With `bias` and `activation` this is _FusedMatMul, whose
 * bias broadcasts along the last dimension; BatchMatMul is the case without either.
 */
export function multiply(
  args: KernelArgs,
  kernelName: typeof BatchMatMul | typeof _FusedMatMul,
): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  const attrs = args.attrs as unknown as tf._FusedMatMulAttrs;
  const activation = attrs.activation ?? 'linear';
  if (!a || !b || a.shape.length < 2 || b.shape.length < 2 || !allFloat32(a, b, bias)) {
    return cpuFallback(kernelName, args);
  }
  const [aRows, aCols] = a.shape.slice(-2);
  const [bRows, bCols] = b.shape.slice(-2);
  const m = attrs.transposeA ? aCols : aRows;
  const k = attrs.transposeA ? aRows : aCols;
  const n = attrs.transposeB ? bRows : bCols;
  const kB = attrs.transposeB ? bCols : bRows;
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  const countA = tf.util.sizeFromShape(batchA);
  const countB = tf.util.sizeFromShape(batchB);
  const sameBatch = countA === countB && tf.util.arraysEqual(batchA, batchB);
  const supported =
    k === kB &&
    (sameBatch || countA === 1 || countB === 1) &&
    preluActivationWeights === undefined &&
    (activation === 'linear' || activation === 'relu') &&
    (bias === undefined || tf.util.sizeFromShape(bias.shape) === n || tf.util.sizeFromShape(bias.shape) === 1);
  if (!supported) return cpuFallback(kernelName, args);

  const addon = nativeAddon();
  const outBatch = countA >= countB && batchA.length >= batchB.length ? batchA : batchB;
  const batches = Math.max(countA, countB);
  const aValues = valuesOf(backend, a);
  const bValues = valuesOf(backend, b);
  const c = allocate(backend, batches * m * n);
  for (let i = 0; i < batches; i++) {
    const aOffset = countA === 1 ? 0 : i * m * k;
    const bOffset = countB === 1 ? 0 : i * k * n;
    addon.gemm(
      aValues.subarray(aOffset, aOffset + m * k),
      bValues.subarray(bOffset, bOffset + k * n),
      c.subarray(i * m * n, (i + 1) * m * n),
      m,
      n,
      k,
      attrs.transposeA,
      attrs.transposeB,
      false,
    );
  }
  // The bias (n values, or one) repeats along c: the element-wise add's broadcast, in place.
  if (bias && c.length > 0) addon.binary(0, c, valuesOf(backend, bias), c);
  if (activation === 'relu') addon.relu(c, c);
  return output(backend, [...outBatch, m, n], c);
}

/** Native _FusedMatMul (bias, ReLU) for float32. */
export const fusedMatMulConfig: KernelConfig = {
  kernelName: _FusedMatMul,
  backendName: BACKEND_NAME,
  kernelFunc: (args) => multiply(args, _FusedMatMul),
};
