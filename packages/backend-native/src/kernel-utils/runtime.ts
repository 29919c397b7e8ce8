import * as tf from '@tensorflow/tfjs-core';
import { loadAddon, type NativeAddon } from '../addon.js';
import type { KernelArgs } from './tensors.js';

/**
 * The loaded addon. The kernels are registered only once it has loaded (see `registerNativeBackend`), so inside a
 * kernel this never throws; {@link loadAddon} loads once and remembers.
 */
export function nativeAddon(): NativeAddon {
  const load = loadAddon();
  if (!load.addon) throw new Error(`@alexnet/tfjs-backend-native: ${load.reason}`);
  return load.addon;
}

/**
 * Runs the `cpu` backend's kernel of this name, for the cases a native kernel leaves out (other dtypes, layouts,
 * activations). The native backend shares the CPU backend's storage, so this always works.
 */
export function cpuFallback(kernelName: string, args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const kernel = tf.getKernel(kernelName, 'cpu');
  if (!kernel) throw new Error(`${kernelName}: no CPU kernel to fall back to`);
  return kernel.kernelFunc(args);
}
