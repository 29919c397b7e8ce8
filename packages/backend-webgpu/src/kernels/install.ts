import * as tf from '@tensorflow/tfjs-core';
import { webGpuKernelConfigs } from './index.js';
import { replacedStockKernels as replaced } from './stock.js';

/**
 * Set to `stock` to keep TF.js's own WebGPU kernels (for comparisons, or to rule this package's kernels out when
 * something looks wrong); anything else, or unset, installs this package's kernels at import.
 */
export const KERNELS_ENV = 'ALEXNET_WEBGPU_KERNELS';

/** Which kernels the `webgpu` backend runs: this package's (`'alexnet'`) or TF.js's own (`'stock'`). */
export type WebGpuKernelSet = 'alexnet' | 'stock';

const BACKEND = 'webgpu';

let installed = false;

function install(): void {
  for (const config of webGpuKernelConfigs) {
    if (replaced.has(config.kernelName)) continue;
    const stock = tf.getKernel(config.kernelName, BACKEND) ?? null;
    if (stock) tf.unregisterKernel(config.kernelName, BACKEND);
    tf.registerKernel({ ...config, backendName: BACKEND });
    replaced.set(config.kernelName, stock);
  }
  installed = true;
}

function restore(): void {
  for (const [name, stock] of replaced) {
    tf.unregisterKernel(name, BACKEND);
    if (stock) tf.registerKernel(stock);
  }
  replaced.clear();
  installed = false;
}

/**
 * Chooses the kernels of the `webgpu` backend: this package's (the default, installed at import unless
 * `ALEXNET_WEBGPU_KERNELS=stock`) or TF.js's own. Kernels are registered per backend name, so this holds for every
 * `webgpu` backend of the process, open or not; tensors already made stay valid.
 */
export function useWebGpuKernels(set: WebGpuKernelSet): void {
  if (set === 'alexnet') install();
  else if (set === 'stock') restore();
  else throw new Error(`useWebGpuKernels: expected 'alexnet' or 'stock', got ${JSON.stringify(set)}`);
}

/** The kernel set now registered: `'alexnet'` when this package's kernels are installed. */
export function webGpuKernelSet(): WebGpuKernelSet {
  return installed ? 'alexnet' : 'stock';
}

/** The names of the kernels this package registers over (or beside) TF.js's WebGPU kernels. */
export function listWebGpuKernels(): string[] {
  return webGpuKernelConfigs.map((config) => config.kernelName);
}

/** The import-time choice: `ALEXNET_WEBGPU_KERNELS=stock` keeps TF.js's kernels. */
export function installDefaultWebGpuKernels(): void {
  const fromEnv = typeof process !== 'undefined' ? process.env?.[KERNELS_ENV] : undefined;
  if (fromEnv === undefined || fromEnv === '' || fromEnv === 'alexnet') useWebGpuKernels('alexnet');
  else if (fromEnv !== 'stock')
    throw new Error(`@alexnet/tfjs-backend-webgpu: ${KERNELS_ENV} must be 'alexnet' or 'stock', got '${fromEnv}'`);
}
