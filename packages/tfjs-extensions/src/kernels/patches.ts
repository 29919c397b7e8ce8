import * as tf from '@tensorflow/tfjs-core';
import { installCpuKernels, restoreCpuKernels } from './cpu.js';
import { installWasmKernels, restoreWasmKernels } from './wasm.js';

/**
 * Installs the training kernels of this package on TF.js's own backends: {@link installCpuKernels} on `cpu` and
 * {@link installWasmKernels} on `wasm`, for those of the two that are imported. Throws where neither is, since
 * then nothing would change. Idempotent; undo with {@link restoreKernelPatches}.
 */
export function installKernelPatches(): void {
  if (!tf.findBackendFactory('cpu') && !tf.findBackendFactory('wasm')) {
    throw new Error(
      "installKernelPatches: neither TF.js's cpu nor its wasm backend is registered: import '@tensorflow/tfjs-backend-cpu' (or -wasm) first",
    );
  }
  installWasmKernels();
  installCpuKernels();
}

/** Puts TF.js's own cpu and wasm kernels back: {@link restoreCpuKernels} and {@link restoreWasmKernels}. */
export function restoreKernelPatches(): void {
  restoreWasmKernels();
  restoreCpuKernels();
}
