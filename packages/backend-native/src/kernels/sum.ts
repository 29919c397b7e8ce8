import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { type KernelConfig, Sum } from '@tensorflow/tfjs-core';
import { BACKEND_NAME } from '../backend-name.js';
import { cpuFallback, nativeAddon } from '../kernel-utils/runtime.js';
import { allocate, type KernelArgs, output, valuesOf } from '../kernel-utils/tensors.js';

/**
 * Sum over leading or trailing axes without a transpose. The CPU kernel first transposes the reduced axes to the
 * end, which for a bias gradient (a [batch, h, w, channels] gradient summed to [channels]) costs far more than the
 * sum; here the leading-axes case sums rows into one row in memory order. Float64 accumulators, like the CPU
 * kernel; the leading-axes case natively over the threads. Other axis sets and non-float32 tensors go to the CPU
 * kernel.
 */
function sum(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { x } = args.inputs as Record<string, tf.TensorInfo>;
  const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
  if (x.dtype !== 'float32' || x.shape.length === 0) return cpuFallback(Sum, args);
  const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
  const rank = x.shape.length;
  const leading = axes.every((a, i) => a === i);
  const trailing = axes.every((a, i) => a === rank - axes.length + i);
  if (axes.length === 0 || (!leading && !trailing)) return cpuFallback(Sum, args);

  const values = valuesOf(backend, x);
  const reduced = tf.util.sizeFromShape(axes.map((a) => x.shape[a]));
  const kept =
    reduced === 0 ? tf.util.sizeFromShape(x.shape.filter((_, i) => !axes.includes(i))) : values.length / reduced;
  const result = allocate(backend, kept);
  if (leading) {
    if (kept > 0) nativeAddon().columnSum(values, result);
  } else {
    for (let i = 0; i < kept; i++) {
      let acc = 0;
      const base = i * reduced;
      for (let j = 0; j < reduced; j++) acc += values[base + j];
      result[i] = acc;
    }
  }
  const shape = keepDims
    ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
    : x.shape.filter((_, i) => !axes.includes(i));
  return output(backend, shape, result);
}

/** Native Sum along leading or trailing axes of float32 tensors. */
export const sumConfig: KernelConfig = {
  kernelName: Sum,
  backendName: BACKEND_NAME,
  kernelFunc: sum,
};
