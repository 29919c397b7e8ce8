import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { type KernelConfig, Transpose } from '@tensorflow/tfjs-core';
import { BACKEND_NAME } from '../backend-name.js';
import { cpuFallback, nativeAddon } from '../kernel-utils/runtime.js';
import { allocate, type KernelArgs, output, valuesOf } from '../kernel-utils/tensors.js';

/** Transposes float32 tensors of rank 1 to 6 natively (the CPU kernel computes every index in JavaScript). */
function transpose(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { x } = args.inputs as Record<string, tf.TensorInfo>;
  const { perm } = args.attrs as unknown as tf.TransposeAttrs;
  if (x.dtype !== 'float32' || x.shape.length < 1 || x.shape.length > 6) return cpuFallback(Transpose, args);
  const out = allocate(backend, tf.util.sizeFromShape(x.shape));
  if (out.length > 0)
    nativeAddon().transpose(valuesOf(backend, x), Int32Array.from(x.shape), Int32Array.from(perm), out);
  return output(
    backend,
    perm.map((p) => x.shape[p]),
    out,
  );
}

/** Native Transpose for float32 tensors of rank 1 to 6. */
export const transposeConfig: KernelConfig = {
  kernelName: Transpose,
  backendName: BACKEND_NAME,
  kernelFunc: transpose,
};
