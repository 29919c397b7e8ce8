import type { WebGpuOptions, WebGpuRuntime } from './types.js';

/** The `webgpu` package's exports: Dawn's `GPU` factory and the WebGPU globals (`GPUBufferUsage`, ...). */
export interface DawnModule {
  create(flags: string[]): GPU;
  globals: Record<string, unknown>;
}

/** A `GPU` object and where it came from, or why there is none. */
export type GpuSource =
  | { gpu: GPU; runtime: WebGpuRuntime; dawn?: DawnModule; flags: string[] }
  | { gpu: null; runtime: WebGpuRuntime | null; reason: string };

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

let dawnLoad: Promise<DawnModule | Error> | undefined;
/**
 * Dawn's instances by flags, made once each: an instance loads the graphics drivers, and a test process that made
 * a few dozen (one per status probe) crashed in Dawn ("std::system_error: Invalid argument"); with one per flag
 * set it has not.
 */
const instances = new Map<string, GPU>();

/** The Dawn instance for these flags, made on first use. */
export function dawnInstance(dawn: DawnModule, flags: string[]): GPU {
  const key = flags.join('\n');
  let gpu = instances.get(key);
  if (!gpu) {
    gpu = dawn.create(flags);
    instances.set(key, gpu);
  }
  return gpu;
}

/**
 * Loads Dawn's Node.js bindings once. The specifier is a variable so that browser bundlers leave the Node-only
 * package out (the comments tell Vite and webpack not to warn); the CommonJS build keeps it an `import()`, which
 * the ESM-only package needs.
 */
function loadDawn(): Promise<DawnModule | Error> {
  const specifier = 'webgpu';
  dawnLoad ??= (import(/* @vite-ignore */ /* webpackIgnore: true */ specifier) as Promise<DawnModule>).then(
    (module) => {
      // TF.js's kernels use the WebGPU constants (GPUBufferUsage, GPUMapMode, ...) as globals, as in browsers.
      for (const [name, value] of Object.entries(module.globals)) {
        if (!(name in globalThis)) Object.assign(globalThis, { [name]: value });
      }
      return module;
    },
    (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
  );
  return dawnLoad;
}

/** Dawn's instance flags for these options: the caller's, then the adapter name filter when one is given. */
export function dawnFlags(options: WebGpuOptions, adapterName?: string): string[] {
  return [...(options.dawnFlags ?? []), ...(adapterName === undefined ? [] : [`adapter=${adapterName}`])];
}

/**
 * The `GPU` object for these options: the caller's, Dawn's in Node.js (a new instance, with the options' flags
 * and, given `adapterName`, only that adapter), or the browser's `navigator.gpu`.
 */
export async function openGpu(options: WebGpuOptions, adapterName?: string): Promise<GpuSource> {
  if (options.gpu) return { gpu: options.gpu as unknown as GPU, runtime: 'custom', flags: [] };
  if (isNode) {
    const dawn = await loadDawn();
    if (dawn instanceof Error)
      return { gpu: null, runtime: 'dawn', reason: `the 'webgpu' package (Dawn) could not be loaded: ${dawn.message}` };
    const flags = dawnFlags(options, adapterName);
    try {
      return { gpu: dawnInstance(dawn, flags), runtime: 'dawn', dawn, flags };
    } catch (error) {
      return { gpu: null, runtime: 'dawn', reason: `Dawn refused the flags [${flags.join(', ')}]: ${message(error)}` };
    }
  }
  const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (!gpu) return { gpu: null, runtime: 'browser', reason: 'this browser has no WebGPU (navigator.gpu is undefined)' };
  return { gpu, runtime: 'browser', flags: [] };
}

/**
 * TF.js's `WebGPUBackend` refuses to start unless `navigator.gpu` exists; Node.js has no such global (or, from
 * Node 21, a `navigator` without `gpu`). Installs `gpu` there when it is missing, and leaves a present one alone.
 */
export function ensureNavigatorGpu(gpu: GPU): void {
  const scope = globalThis as { navigator?: { gpu?: GPU } };
  if (scope.navigator?.gpu) return;
  if (scope.navigator) Object.defineProperty(scope.navigator, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
}

/** An error's message, whatever was thrown (Dawn rejects with strings). */
export function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
