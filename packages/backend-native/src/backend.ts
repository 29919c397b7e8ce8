import { registerReluGradient, silenceTfjsNodeHint } from '@alexnet/tfjs-extensions';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { loadAddon, type NativeAddon } from './addon.js';
import { binaryKernels } from './kernels/binary.js';
import { convKernels } from './kernels/conv.js';
import { lrnKernels } from './kernels/lrn.js';
import { matMulKernels } from './kernels/matmul.js';
import { poolKernels } from './kernels/pool.js';
import { reluKernels } from './kernels/relu.js';
import { sgdKernels } from './kernels/sgd.js';
import type { KernelContext } from './kernels/shared.js';
import { sumTransposeKernels } from './kernels/sum-transpose.js';
import { FloatPool } from './pool.js';

/** The name this backend registers under: `tf.setBackend('native')`. */
export const BACKEND_NAME = 'native';

/**
 * Above `cpu` (1) and `wasm` (2), so that TF.js picks it by itself where it loads; below `tensorflow` (3, the
 * libtensorflow binding), which is faster still where it installs.
 */
const PRIORITY = 2.5;

/**
 * The CPU backend with its storage unchanged: every TF.js CPU kernel works on it as is, and the kernels that
 * dominate convolutional network training are replaced by native ones.
 */
class NativeBackend extends MathBackendCPU {
  /** Output arrays of the native kernels, recycled across steps (see {@link FloatPool}). */
  readonly pool = new FloatPool();

  constructor() {
    super();
    // The CPU backend's first write prints "install tfjs-node to speed things up"; this backend is the speed-up.
    silenceTfjsNodeHint(this);
  }

  override write(values: Parameters<MathBackendCPU['write']>[0], shape: number[], dtype: tf.DataType): tf.DataId {
    this.pool.onStore(values);
    return super.write(values, shape, dtype);
  }

  override readSync(dataId: tf.DataId): tf.BackendValues {
    const values = super.readSync(dataId);
    this.pool.onRead(this.data.get(dataId)?.values);
    return values;
  }

  override async read(dataId: tf.DataId): Promise<tf.BackendValues> {
    this.pool.onRead(this.data.get(dataId)?.values);
    return super.read(dataId);
  }

  override disposeData(dataId: tf.DataId, force = false): boolean {
    const values = this.data.get(dataId)?.values;
    const disposed = super.disposeData(dataId, force);
    if (values !== undefined && !this.data.has(dataId)) this.pool.onFree(values);
    return disposed;
  }

  override dispose(): void {
    this.pool.clear();
    super.dispose();
  }
}

/** The kernels this backend replaces with native code (the rest are the CPU backend's). */
function nativeKernels(context: KernelContext): Record<string, tf.KernelFunc> {
  return {
    ...convKernels(context),
    ...binaryKernels(context),
    ...matMulKernels(context),
    ...poolKernels(context),
    ...lrnKernels(context),
    ...reluKernels(context),
    ...sumTransposeKernels(context),
    ...sgdKernels(context),
  };
}

/** Where the backend stands: registered and with which instruction set and threads, or why not. */
export type NativeBackendStatus =
  | { available: true; isa: string; threads: number; addonPath: string; kernels: string[] }
  | { available: false; reason: string };

let status: NativeBackendStatus | undefined;

/**
 * Registers the `native` backend, once. Importing the package calls it; where the addon cannot be loaded it
 * registers nothing, warns once, and {@link nativeBackendStatus} says why (TF.js then keeps to wasm or cpu).
 */
export function registerNativeBackend(): NativeBackendStatus {
  if (status) return status;
  const load = loadAddon();
  if (!load.addon) {
    status = { available: false, reason: load.reason };
    console.warn(`@alexnet/tfjs-backend-native: the 'native' backend is not available: ${load.reason}`);
    return status;
  }
  const addon = load.addon;
  const context: KernelContext = {
    addon,
    fallback: (kernelName, args) => {
      const kernel = tf.getKernel(kernelName, 'cpu');
      if (!kernel) throw new Error(`${kernelName}: no CPU kernel to fall back to`);
      return kernel.kernelFunc(args);
    },
  };
  const replaced = nativeKernels(context);
  if (!tf.findBackendFactory(BACKEND_NAME)) tf.registerBackend(BACKEND_NAME, () => new NativeBackend(), PRIORITY);
  for (const kernel of tf.getKernelsForBackend('cpu')) {
    if (kernel.kernelName in replaced) continue;
    if (!tf.getKernel(kernel.kernelName, BACKEND_NAME)) tf.registerKernel({ ...kernel, backendName: BACKEND_NAME });
  }
  for (const [kernelName, kernelFunc] of Object.entries(replaced)) {
    if (!tf.getKernel(kernelName, BACKEND_NAME))
      tf.registerKernel({ kernelName, backendName: BACKEND_NAME, kernelFunc });
  }
  // ReLU's gradient through this backend's single-pass kernel (RELU_GRAD) while it is the active backend.
  registerReluGradient();
  const { isa, threads } = addon.info();
  status = { available: true, isa, threads, addonPath: load.path, kernels: Object.keys(replaced).sort() };
  return status;
}

/** Whether the backend is registered, and its instruction set and thread count, or why it is not. */
export function nativeBackendStatus(): NativeBackendStatus {
  const current = registerNativeBackend();
  if (!current.available) return current;
  const { isa, threads } = (loadAddon() as { addon: NativeAddon }).addon.info();
  return { ...current, isa, threads };
}

function addon(): NativeAddon {
  const load = loadAddon();
  if (!load.addon) throw new Error(`@alexnet/tfjs-backend-native: ${load.reason}`);
  return load.addon;
}

/**
 * Sets how many threads the native kernels use (default: the number of cores, or `ALEXNET_NATIVE_THREADS`).
 * Results are bitwise reproducible for a given thread count.
 */
export function setNativeThreads(threads: number): void {
  if (!Number.isInteger(threads) || threads < 1)
    throw new RangeError(`threads must be a positive integer, got ${threads}`);
  addon().setThreads(threads);
}

/**
 * Forces the instruction set of the matrix kernels: `'avx512'`, `'avx2'` or `'sse'` (default: the best the CPU
 * has, or `ALEXNET_NATIVE_ISA`). Throws when the CPU lacks it.
 */
export function setNativeIsa(isa: 'avx512' | 'avx2' | 'sse'): void {
  if (!addon().setIsa(isa)) throw new Error(`this CPU does not support ${isa} (or it is not one of avx512, avx2, sse)`);
}
