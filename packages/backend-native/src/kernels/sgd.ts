import { FUSED_SGD_UPDATE, type FusedSgdAttrs } from '@alexnet/tfjs-extensions';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { BACKEND_NAME } from '../backend-name.js';
import { nativeAddon } from '../kernel-utils/runtime.js';
import { type KernelArgs, valuesOf } from '../kernel-utils/tensors.js';

function fusedSgd(args: KernelArgs): tf.TensorInfo[] {
  const backend = args.backend as MathBackendCPU;
  const { param, grad, buffer } = args.inputs as Record<string, tf.TensorInfo | undefined>;
  const attrs = args.attrs as unknown as FusedSgdAttrs;
  if (!param || !grad) throw new Error(`${FUSED_SGD_UPDATE}: needs param and grad inputs`);
  if (attrs.momentum !== 0 && !buffer) throw new Error(`${FUSED_SGD_UPDATE}: momentum needs a buffer input`);
  for (const [name, t] of Object.entries({ param, grad, buffer })) {
    if (t && (t.dtype !== 'float32' || !tf.util.arraysEqual(t.shape, param.shape))) {
      throw new Error(
        `${FUSED_SGD_UPDATE}: ${name} must be float32 of shape [${param.shape}], got ${t.dtype} [${t.shape}]`,
      );
    }
  }
  // In place only where nothing else (a clone, a reshape, a snapshot) shares the storage.
  const ownsStorage = (t: tf.TensorInfo) =>
    backend.refCount(t.dataId) === 1 && backend.data.get(t.dataId).values instanceof Float32Array;
  const inPlace = ownsStorage(param) && (!buffer || ownsStorage(buffer));
  const paramValues = inPlace ? valuesOf(backend, param) : valuesOf(backend, param).slice();
  const bufferValues = buffer ? (inPlace ? valuesOf(backend, buffer) : valuesOf(backend, buffer).slice()) : null;
  nativeAddon().sgd(
    paramValues,
    valuesOf(backend, grad),
    bufferValues,
    attrs.lr,
    attrs.momentum,
    attrs.dampening,
    attrs.weightDecay,
    attrs.nesterov,
    attrs.first,
  );
  if (inPlace) return [];
  const outputs = [backend.makeTensorInfo(param.shape, 'float32', paramValues)];
  if (buffer && bufferValues) outputs.push(backend.makeTensorInfo(buffer.shape, 'float32', bufferValues));
  return outputs;
}

/** The fused SGD update ({@link FUSED_SGD_UPDATE}). */
export const fusedSgdUpdateConfig: KernelConfig = {
  kernelName: FUSED_SGD_UPDATE,
  backendName: BACKEND_NAME,
  kernelFunc: fusedSgd,
};
