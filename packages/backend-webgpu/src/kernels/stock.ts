import type * as tf from '@tensorflow/tfjs-core';

/**
 * The stock `@tensorflow/tfjs-backend-webgpu` kernels this package's kernels replaced, by name (`null`: TF.js had none of
 * that name), kept by `install.ts` to put them back, and read by the kernels that hand cases they do not cover
 * (another data format, say) to TF.js's own.
 */
export const replacedStockKernels = new Map<string, tf.KernelConfig | null>();

/**
 * TF.js's own WebGPU kernel of this name, as registered before this package's replaced it; throws where there was
 * none (or this package's kernels are not installed).
 */
export function stockWebGpuKernel(name: string): tf.KernelConfig {
  const stock = replacedStockKernels.get(name);
  if (!stock) throw new Error(`@alexnet/tfjs-backend-webgpu: no stock WebGPU kernel '${name}' to fall back to`);
  return stock;
}
