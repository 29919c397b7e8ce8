import { registerThreadedWasm } from '@alexnet/tfjs-extensions/node';
import * as tf from '@tensorflow/tfjs-core';
import type { VectorIsa } from './bench/peak.js';
import { UsageError } from './errors.js';
import { linuxGpuDeviceNodes } from './gpu-devices.js';

/** Backends `--backend` accepts. `auto` takes the fastest that is installed and works. */
export const BACKENDS = ['auto', 'tensorflow-gpu', 'webgpu', 'tensorflow', 'native', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKENDS)[number];

/** The WebGPU adapter a run used, as recorded in its `config.json`. */
export interface AdapterRecord {
  name: string;
  vendor: string;
  architecture: string;
  /** The graphics API Dawn drives it through: Vulkan, Metal, D3D12. */
  api: string;
  description: string;
  software: boolean;
}

/** What runs the tensors: TF.js's backend name, the device in words, and for webgpu the adapter. */
export interface BackendInfo {
  requested: BackendChoice;
  name: string;
  device: string;
  adapter?: AdapterRecord;
  /** For backends whose kernels run vector code on the CPU: which instruction set, on how many threads. */
  cpu?: { isa: VectorIsa; threads: number };
}

/** How to choose the backend beyond its name. */
export interface BackendOptions {
  /** The WebGPU adapter (`--adapter`): an index or part of its name; default `ALEXNET_WEBGPU_ADAPTER`, else Dawn's first. */
  adapter?: string | null;
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
 * WebGPU on a hardware adapter (never a software one: SwiftShader is far slower than the CPU backends), then
 * `@tensorflow/tfjs-node`, then `@alexnet/tfjs-backend-native` (native SIMD kernels, shipped prebuilt), then
 * WebAssembly (threaded: one thread a core, or `ALEXNET_WASM_THREADS`), then plain JavaScript. Asking for a backend that is not installed fails with the command that
 * installs it.
 */
export async function selectBackend(choice: BackendChoice, options: BackendOptions = {}): Promise<BackendInfo> {
  if (!BACKENDS.includes(choice)) {
    throw new UsageError(`Unknown backend "${choice}": use one of ${BACKENDS.join(', ')}`);
  }
  const adapter = options.adapter?.trim() || undefined;
  if (adapter !== undefined && choice !== 'webgpu' && choice !== 'auto') {
    throw new UsageError(`--adapter chooses a WebGPU adapter: it needs --backend webgpu or auto, not ${choice}`);
  }
  // Gradients for training, and the cpu backend. tfjs-node imports this too, so there is one TF.js either way.
  await import('@tensorflow/tfjs');
  tf.enableProdMode();
  const { installKernelPatches } = await import('@alexnet/tfjs-extensions');
  if (choice === 'tensorflow-gpu' || choice === 'auto') {
    const info = await tfjsNode('tensorflow-gpu', choice);
    if (info) return info;
  }
  if (choice === 'webgpu' || choice === 'auto') {
    const info = await webGpu(choice, adapter);
    if (info) return info;
  }
  if (choice === 'tensorflow' || choice === 'auto') {
    const info = await tfjsNode('tensorflow', choice);
    if (info) return info;
  }
  if (choice === 'native' || choice === 'auto') {
    // Importing registers the backend where its addon loads, and warns once (with the reason) where it does not.
    const native = await import('@alexnet/tfjs-backend-native');
    const status = native.nativeBackendStatus();
    if (status.available && (await tf.setBackend('native'))) {
      return {
        requested: choice,
        name: 'native',
        device: `CPU (native ${status.isa}, ${status.threads} threads)`,
        cpu: { isa: status.isa as VectorIsa, threads: status.threads },
      };
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
      return {
        requested: choice,
        name: 'wasm',
        device: `CPU (WebAssembly SIMD, ${threads} threads)`,
        cpu: { isa: 'wasm-simd128', threads },
      };
    }
    if (choice === 'wasm') throw new UsageError('The wasm backend failed to start on this machine');
  }
  installKernelPatches();
  await tf.setBackend('cpu');
  return { requested: choice, name: 'cpu', device: 'CPU (JavaScript)' };
}

/** A tfjs-node build as the backend, or null where `auto` moves on (not installed, or the GPU build sees no GPU). */
async function tfjsNode(name: keyof typeof TFJS_NODE_PACKAGES, choice: BackendChoice): Promise<BackendInfo | null> {
  if (!(await loadTfjsNode(name, choice !== 'auto'))) return null;
  if (!(await tf.setBackend('tensorflow'))) return null;
  const gpu = name === 'tensorflow-gpu' ? gpuName() : null;
  if (name === 'tensorflow-gpu' && !gpu && choice === 'auto') return null;
  return { requested: choice, name: 'tensorflow', device: gpu ?? 'CPU (libtensorflow)' };
}

/** Whether this process set the webgpu backend, so that {@link releaseBackend} destroys its device. */
let webGpuSet = false;

/**
 * WebGPU through `@alexnet/tfjs-backend-webgpu`. Asked for by name, any adapter will do (a software one with a
 * warning) and no adapter is an error that says why; for `auto`, only a hardware adapter, and no device is created
 * (only an adapter requested) unless it is one.
 */
async function webGpu(choice: BackendChoice, adapter: string | undefined): Promise<BackendInfo | null> {
  // No GPU device on a Linux machine: no adapter to find, and Dawn's search would only print driver warnings.
  if (choice === 'auto' && adapter === undefined && linuxGpuDeviceNodes()?.length === 0) return null;
  const webgpu = await import('@alexnet/tfjs-backend-webgpu');
  const options = adapter === undefined ? {} : { adapter };
  if (choice === 'auto') {
    const status = await webgpu.webGpuStatus(options).catch(() => null);
    if (!status?.available || status.software) return null;
  }
  let status: Awaited<ReturnType<typeof webgpu.setWebGpuBackend>>;
  try {
    status = await webgpu.setWebGpuBackend(options);
  } catch (error) {
    const reason = (error as Error).message.replace(/^@alexnet\/tfjs-backend-webgpu: /, '');
    if (choice === 'auto') return null;
    throw new UsageError(`--backend webgpu is not available here: ${reason}`);
  }
  webGpuSet = true;
  const record = adapterRecord(status.adapter);
  if (record.software) {
    process.stderr.write(
      `alexnet: warning: the WebGPU adapter '${record.name}' is a CPU emulation (software), far slower than --backend native: for tests, not training\n`,
    );
  }
  const device = [record.name, [record.vendor, record.architecture].filter(Boolean).join(' '), record.api]
    .filter(Boolean)
    .join(', ');
  return {
    requested: choice,
    name: 'webgpu',
    device: record.software ? `${device}, software` : device,
    adapter: record,
  };
}

/** The graphics API names as people write them. */
const API_NAMES: Record<string, string> = {
  vulkan: 'Vulkan',
  metal: 'Metal',
  d3d12: 'D3D12',
  d3d11: 'D3D11',
  opengl: 'OpenGL',
  opengles: 'OpenGL ES',
};

function adapterRecord(info: {
  name: string;
  vendor: string;
  architecture: string;
  backend?: string;
  description: string;
  software: boolean;
}): AdapterRecord {
  const api = info.backend ? (API_NAMES[info.backend.toLowerCase()] ?? info.backend) : '';
  return {
    name: info.name,
    vendor: info.vendor,
    architecture: info.architecture,
    api,
    description: info.description,
    software: info.software,
  };
}

/**
 * Ends the backend's hold on the process: destroys the WebGPU device where this process made one (its tensors go
 * with it). Every command ends with it (bin.ts), so a run ends by itself and the GPU is free at once.
 */
export async function releaseBackend(): Promise<void> {
  if (!webGpuSet) return;
  webGpuSet = false;
  (await import('@alexnet/tfjs-backend-webgpu')).disposeWebGpuBackend();
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
