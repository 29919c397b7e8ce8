import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import * as tf from '@tensorflow/tfjs-core';
import { adapterFeatures, adapterLimits, type ChosenAdapter, chooseAdapter } from './adapter.js';
import { ensureNavigatorGpu, message } from './gpu.js';
import type { WebGpuOptions, WebGpuStatus } from './types.js';

/** The name this backend registers under: `tf.setBackend('webgpu')`, as TF.js's own. */
export const BACKEND_NAME = 'webgpu';

/**
 * Below `cpu` (1): TF.js never picks it by itself. A GPU is chosen on purpose, and on a machine without one the
 * adapter Dawn finds can be SwiftShader, a CPU rasteriser far slower than the CPU backends.
 */
const PRIORITY = 0.5;

/** Optional features requested where the adapter has them: profiling, and the later kernels' subgroups / f16. */
const WANTED_FEATURES = ['timestamp-query', 'subgroups', 'shader-f16', 'bgra8unorm-storage'];

type ReadyStatus = Extract<WebGpuStatus, { available: true }>;

/** TF.js's WebGPU backend, which also destroys its device when TF.js disposes it. */
class DeviceOwningBackend extends WebGPUBackend {
  /** Set when the device is lost other than by `destroy()`. */
  lostReason: string | undefined;
  private released = false;

  constructor(
    device: GPUDevice,
    adapterInfo: GPUAdapterInfo,
    readonly status: ReadyStatus,
  ) {
    super(device, adapterInfo);
    device.lost.then((info) => {
      if (!this.released) this.lostReason = `${info.reason}: ${info.message}`;
    });
    // A shader or binding that fails validation leaves its output as it was (zeros, usually) and TF.js never asks:
    // the error is kept and the next read fails with it instead of returning wrong numbers.
    device.addEventListener('uncapturederror', (event) => {
      this.gpuError ??= (event as GPUUncapturedErrorEvent).error.message;
    });
  }

  /** The first validation or out-of-memory error the device reported, until a read reports it. */
  private gpuError: string | undefined;

  override async read(dataId: object): Promise<tf.BackendValues> {
    const values = await super.read(dataId);
    if (this.gpuError !== undefined) {
      const error = this.gpuError;
      this.gpuError = undefined;
      throw new Error(`@alexnet/tfjs-backend-webgpu: the GPU reported an error, so results are not valid: ${error}`);
    }
    return values;
  }

  /**
   * TF.js reads the GPU synchronously (`dataSync`, `arraySync`) through `OffscreenCanvas`, which Node.js lacks, and
   * would fail with a ReferenceError: say what to do instead.
   */
  override readSync(dataId: object): tf.BackendValues {
    const data = this.tensorMap.get(dataId);
    if (data?.values == null && data?.dtype !== 'string' && data?.dtype !== 'complex64' && !hasOffscreenCanvas())
      throw new Error(
        '@alexnet/tfjs-backend-webgpu: dataSync(), arraySync() and bufferSync() cannot read a GPU tensor here ' +
          '(no OffscreenCanvas, as in Node.js): use await tensor.data() or tensor.array()',
      );
    return super.readSync(dataId);
  }

  override dispose(): void {
    if (this.released) return;
    this.released = true;
    super.dispose();
    // TF.js releases its buffers but leaves the device to its creator: here, this backend.
    this.device.destroy();
    if (active === this) active = undefined;
  }
}

const hasOffscreenCanvas = () => typeof (globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas === 'function';

/** The options the registered factory opens its device with. */
let configured: WebGpuOptions = {};
/** The backend TF.js holds, while it holds one. */
let active: DeviceOwningBackend | undefined;

async function requestDevice(chosen: ChosenAdapter): Promise<GPUDevice> {
  const { adapter } = chosen;
  const features = adapter.features as unknown as Set<string>;
  const limits = adapterLimits(adapter);
  return adapter.requestDevice({
    requiredFeatures: WANTED_FEATURES.filter((f) => features.has(f)) as GPUFeatureName[],
    requiredLimits: { ...limits },
  });
}

/** Chooses the adapter, creates a device on it and wraps it in a backend; throws with the reason otherwise. */
async function openBackend(options: WebGpuOptions): Promise<DeviceOwningBackend> {
  const chosen = await chooseAdapter(options);
  if (!('adapter' in chosen)) throw new Error(`@alexnet/tfjs-backend-webgpu: ${chosen.reason}`);
  let device: GPUDevice;
  try {
    device = await requestDevice(chosen);
  } catch (error) {
    throw new Error(`@alexnet/tfjs-backend-webgpu: requestDevice on '${chosen.info.name}' failed: ${message(error)}`);
  }
  ensureNavigatorGpu(chosen.gpu);
  const backend = new DeviceOwningBackend(device, chosen.raw as GPUAdapterInfo, readyStatus(chosen, true));
  active = backend;
  return backend;
}

function install(factory: () => Promise<DeviceOwningBackend> | DeviceOwningBackend): void {
  // Also replaces TF.js's own registration, which its package makes in browsers (where navigator.gpu exists).
  if (tf.findBackendFactory(BACKEND_NAME)) tf.removeBackend(BACKEND_NAME);
  tf.registerBackend(BACKEND_NAME, factory, PRIORITY);
}

/**
 * Registers the `webgpu` backend with these options (see {@link WebGpuOptions}); importing the package calls it with
 * none. The device is created on the first `tf.setBackend('webgpu')`. A backend already created on other options is
 * disposed first (its tensors go with it).
 */
export function registerWebGpuBackend(options: WebGpuOptions = {}): void {
  configured = { ...options };
  install(() => openBackend(configured));
}

/**
 * Creates the device (on the adapter the options select, or those of the last {@link registerWebGpuBackend}) and
 * makes `webgpu` TF.js's backend. Unlike `tf.setBackend('webgpu')`, which logs a failure and resolves `false`, this
 * throws an error that says why there is no GPU. Called again without options, it keeps the device it has.
 */
export async function setWebGpuBackend(options?: WebGpuOptions): Promise<ReadyStatus> {
  if (options !== undefined || !active) {
    const backend = await openBackend(options ?? configured);
    configured = { ...(options ?? configured) };
    install(() => backend);
  }
  if (!(await tf.setBackend(BACKEND_NAME))) throw new Error('@alexnet/tfjs-backend-webgpu: tf.setBackend failed');
  return (active as DeviceOwningBackend).status;
}

/**
 * Where the backend stands. With the device created (and no other options), its adapter; otherwise the adapter the
 * options (or the registered ones) would select, requested but without a device, or why there is none. A software
 * adapter (`software: true`: SwiftShader, a fallback adapter) is for correctness tests, not for training.
 */
export async function webGpuStatus(options?: WebGpuOptions): Promise<WebGpuStatus> {
  if (options === undefined && active) {
    if (active.lostReason) return { available: false, runtime: active.status.runtime, reason: active.lostReason };
    return active.status;
  }
  const chosen = await chooseAdapter(options ?? configured);
  if (!('adapter' in chosen)) return { available: false, runtime: chosen.runtime, reason: chosen.reason };
  return readyStatus(chosen, false);
}

/** The status of an adapter that was found, with or without its device created (`initialized`). */
function readyStatus(chosen: ChosenAdapter, initialized: boolean): ReadyStatus {
  return {
    available: true,
    runtime: chosen.runtime,
    adapter: chosen.info,
    software: chosen.info.software,
    limits: adapterLimits(chosen.adapter),
    features: adapterFeatures(chosen.adapter),
    initialized,
  };
}

/**
 * Disposes the backend (its tensors, buffers and pipelines) and destroys its GPU device, then registers the backend
 * again, so that a later `tf.setBackend('webgpu')` opens a new device. TF.js moves to its next backend.
 */
export function disposeWebGpuBackend(): void {
  if (!active) return;
  install(() => openBackend(configured));
  // Opened by setWebGpuBackend but never handed to TF.js: not in its registry, so not disposed by it.
  active?.dispose();
}
