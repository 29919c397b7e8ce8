import { registerThreadedWasm } from '@alexnet/tfjs-extensions/node';
import * as tf from '@tensorflow/tfjs-core';
import { UsageError } from './errors.js';

/** Backends `--backend` accepts. `auto` takes the fastest that is installed and works. */
export const BACKENDS = ['auto', 'tensorflow-gpu', 'tensorflow', 'native', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKENDS)[number];

/** What runs the tensors: TF.js's backend name and the device in words. */
export interface BackendInfo {
  requested: BackendChoice;
  name: string;
  device: string;
}

/** The two tfjs-node builds (libtensorflow, not @alexnet/tfjs-backend-native): the package and how to install it. */
const TFJS_NODE_PACKAGES = {
  'tensorflow-gpu': {
    module: '@tensorflow/tfjs-node-gpu',
    install: 'npm install @tensorflow/tfjs-node-gpu@4.22.0 (it needs CUDA 11.2 and cuDNN 8.1 on Linux x64)',
  },
  tensorflow: { module: '@tensorflow/tfjs-node', install: 'npm install @tensorflow/tfjs-node@4.22.0' },
} as const;

/**
 * Loads and selects a backend. `auto` tries `@tensorflow/tfjs-node-gpu` (when it is installed and sees a GPU), then
 * `@tensorflow/tfjs-node`, then `@alexnet/tfjs-backend-native` (native SIMD kernels, shipped prebuilt), then
 * WebAssembly (threaded: one thread a core, or `ALEXNET_WASM_THREADS`), then plain JavaScript. Asking for a backend that is not installed fails with the command that
 * installs it.
 */
export async function selectBackend(choice: BackendChoice): Promise<BackendInfo> {
  if (!BACKENDS.includes(choice)) {
    throw new UsageError(`Unknown backend "${choice}": use one of ${BACKENDS.join(', ')}`);
  }
  // Gradients for training, and the cpu backend. tfjs-node imports this too, so there is one TF.js either way.
  await import('@tensorflow/tfjs');
  tf.enableProdMode();
  const { installKernelPatches } = await import('@alexnet/tfjs-extensions');
  if (choice === 'tensorflow-gpu' || choice === 'tensorflow' || choice === 'auto') {
    for (const name of choice === 'auto' ? (['tensorflow-gpu', 'tensorflow'] as const) : [choice]) {
      const loaded = await loadTfjsNode(name, choice !== 'auto');
      if (!loaded) continue;
      if (await tf.setBackend('tensorflow')) {
        const gpu = name === 'tensorflow-gpu' ? gpuName() : null;
        if (name === 'tensorflow-gpu' && !gpu && choice === 'auto') continue;
        return { requested: choice, name: 'tensorflow', device: gpu ?? 'CPU (libtensorflow)' };
      }
    }
  }
  if (choice === 'native' || choice === 'auto') {
    // Importing registers the backend where its addon loads, and warns once (with the reason) where it does not.
    const native = await import('@alexnet/tfjs-backend-native');
    const status = native.nativeBackendStatus();
    if (status.available && (await tf.setBackend('native'))) {
      return { requested: choice, name: 'native', device: `CPU (native ${status.isa}, ${status.threads} threads)` };
    }
    if (choice === 'native') {
      throw new UsageError(
        `--backend native is not available here: ${status.available ? 'it failed to start' : status.reason}`,
      );
    }
  }
  if (choice === 'wasm' || choice === 'auto') {
    const threads = await registerThreadedWasm(wasmThreads());
    installKernelPatches();
    if (await tf.setBackend('wasm').catch(() => false)) {
      return { requested: choice, name: 'wasm', device: `CPU (WebAssembly SIMD, ${threads} threads)` };
    }
    if (choice === 'wasm') throw new UsageError('The wasm backend failed to start on this machine');
  }
  installKernelPatches();
  await tf.setBackend('cpu');
  return { requested: choice, name: 'cpu', device: 'CPU (JavaScript)' };
}

/** `ALEXNET_WASM_THREADS` where set (a positive integer), else the number of cores. */
function wasmThreads(): number | undefined {
  const value = process.env.ALEXNET_WASM_THREADS;
  if (value === undefined || value === '') return undefined;
  const threads = Number(value);
  if (!Number.isInteger(threads) || threads < 1) {
    throw new UsageError(`ALEXNET_WASM_THREADS must be a positive integer, got "${value}"`);
  }
  return threads;
}

/** Imports a tfjs-node build; false where it is absent and not `required`, else an error with the install command. */
async function loadTfjsNode(name: keyof typeof TFJS_NODE_PACKAGES, required: boolean): Promise<boolean> {
  const { module, install } = TFJS_NODE_PACKAGES[name];
  try {
    await import(module);
    return true;
  } catch (error) {
    const missing = (error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND';
    if (!required) return false;
    if (missing) throw new UsageError(`--backend ${name} needs ${module}, which is not installed: ${install}`);
    throw new UsageError(`${module} is installed but failed to load: ${(error as Error).message.split('\n')[0]}`);
  }
}

/** The GPU libtensorflow sees, from its device list, or null when it sees none. */
function gpuName(): string | null {
  const backend = tf.backend() as unknown as { binding?: { TF_Version?: string }; getDeviceList?: () => string[] };
  const devices = backend.getDeviceList?.() ?? [];
  const gpu = devices.find((d) => /GPU/i.test(d));
  return gpu ?? (devices.length === 0 ? 'GPU (CUDA)' : null);
}
