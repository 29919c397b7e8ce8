import { registerReluGradient, silenceTfjsNodeHint } from '@alexnet/tfjs-extensions';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { type CacheSizes, type GemmBlocks, loadAddon, type NativeAddon, type WinogradMode } from './addon.js';
import { BACKEND_NAME } from './backend-name.js';
import { FloatPool } from './float-pool.js';
import { nativeAddon } from './kernel-utils/runtime.js';
import { nativeKernelConfigs } from './kernels/index.js';

export { BACKEND_NAME };

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

/** Where the backend stands: registered and with which instruction set and threads, or why not. */
export type NativeBackendStatus =
  | {
      available: true;
      isa: string;
      threads: number;
      /** When 3x3 and 5x5 stride-1 convolutions take the Winograd path. */
      winograd: WinogradMode;
      /** The matrix products' cache blocking for `isa`, and where it comes from. */
      gemmBlocks: GemmBlocks;
      /** The cache sizes (bytes) it was derived from, as the system reports them. */
      caches: CacheSizes;
      addonPath: string;
      kernels: string[];
    }
  | { available: false; reason: string };

let status: NativeBackendStatus | undefined;

/** The blockings native/gemm.c's gemm_set_blocks takes (valid_blocks there), for the errors that refuse others. */
const GEMM_BLOCK_LIMITS = 'kc in [32, 1024], mc in [1, 1536], nc in [1, 8192], kc x mc and kc x nc at most 2097152';

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
  if (!tf.findBackendFactory(BACKEND_NAME)) tf.registerBackend(BACKEND_NAME, () => new NativeBackend(), PRIORITY);
  // The listed kernels are this backend's own; every other kernel is the CPU backend's, on the same storage.
  const own = new Set(nativeKernelConfigs.map((config) => config.kernelName));
  for (const kernel of tf.getKernelsForBackend('cpu')) {
    if (own.has(kernel.kernelName)) continue;
    if (!tf.getKernel(kernel.kernelName, BACKEND_NAME)) tf.registerKernel({ ...kernel, backendName: BACKEND_NAME });
  }
  for (const config of nativeKernelConfigs) {
    if (!tf.getKernel(config.kernelName, BACKEND_NAME)) tf.registerKernel(config);
  }
  // ReLU's gradient through this backend's single-pass kernel (RELU_GRAD) while it is the active backend.
  registerReluGradient();
  const info = addon.info();
  const blocksVariable = process.env.ALEXNET_NATIVE_GEMM_BLOCKS;
  if (blocksVariable !== undefined && info.gemmBlocks.source !== 'environment') {
    const { kc, mc, nc } = info.gemmBlocks;
    console.warn(
      `@alexnet/tfjs-backend-native: ALEXNET_NATIVE_GEMM_BLOCKS=${JSON.stringify(blocksVariable)} ignored: it must be ` +
        `"kc,mc,nc" with ${GEMM_BLOCK_LIMITS}; using kc ${kc}, mc ${mc}, nc ${nc} from the cache sizes`,
    );
  }
  status = { available: true, ...info, addonPath: load.path, kernels: [...own].sort() };
  return status;
}

/** Whether the backend is registered, and its instruction set and thread count, or why it is not. */
export function nativeBackendStatus(): NativeBackendStatus {
  const current = registerNativeBackend();
  if (!current.available) return current;
  return { ...current, ...(loadAddon() as { addon: NativeAddon }).addon.info() };
}

/**
 * Sets how many threads the native kernels use (default: the number of cores, or `ALEXNET_NATIVE_THREADS`).
 * Results are bitwise reproducible for a given thread count.
 */
export function setNativeThreads(threads: number): void {
  if (!Number.isInteger(threads) || threads < 1)
    throw new RangeError(`threads must be a positive integer, got ${threads}`);
  nativeAddon().setThreads(threads);
}

/**
 * Forces the instruction set of the matrix kernels: `'avx512'`, `'avx2'` or `'sse'` (default: the best the CPU
 * has, or `ALEXNET_NATIVE_ISA`). Throws when the CPU lacks it.
 */
export function setNativeIsa(isa: 'avx512' | 'avx2' | 'sse'): void {
  if (!nativeAddon().setIsa(isa))
    throw new Error(`this CPU does not support ${isa} (or it is not one of avx512, avx2, sse)`);
}

/** The measured fp32 ceiling of the vector units, see {@link measureNativePeak}. */
export interface NativePeak {
  /** GFLOP/s of all the threads together. */
  gflops: number;
  isa: string;
  threads: number;
}

/**
 * Measures the fp32 ceiling of this machine's vector units as the native kernels use them: every thread runs 12
 * independent FMA chains in the current instruction set's widest vectors, with no memory traffic, for about
 * 1.5 x `seconds` (default 0.05), each timed on its own CPU clock, and the fastest of five runs counts. A yardstick
 * for kernels' GFLOP/s that holds where the reported clock does not (virtual machines report the nominal clock; cores
 * boost above it).
 */
export function measureNativePeak(seconds = 0.05): NativePeak {
  if (!(seconds >= 0.001 && seconds <= 10)) throw new RangeError(`seconds must be from 0.001 to 10, got ${seconds}`);
  const addon = nativeAddon();
  const { isa, threads } = addon.info();
  return { gflops: addon.fmaPeak(seconds), isa, threads };
}

/**
 * Sets the matrix products' cache blocking (see {@link GemmBlocks}), or `'auto'` for the one derived from the cache
 * sizes (the default, unless `ALEXNET_NATIVE_GEMM_BLOCKS="kc,mc,nc"` is set). For benchmarks and tests. `mc` and `nc`
 * change only the speed; `kc` also changes where each dot product is split into partial sums, so the result can differ
 * in the last bits. `mc` and `nc` are rounded down to whole micro-tiles (at least one).
 */
export function setNativeGemmBlocks(blocks: { kc: number; mc: number; nc: number } | 'auto'): void {
  const { kc, mc, nc } = blocks === 'auto' ? { kc: 0, mc: 0, nc: 0 } : blocks;
  if (!nativeAddon().setGemmBlocks(kc, mc, nc))
    throw new RangeError(
      `GEMM blocks must be whole numbers with ${GEMM_BLOCK_LIMITS} (8 MiB a packed buffer), got ${JSON.stringify(blocks)}`,
    );
}

/**
 * Sets when 3x3 and 5x5 stride-1 convolutions (forward and both gradients) use Winograd's minimal filtering
 * (F(4x4, 3x3), F(4x4, 5x5), F(2x2, 3x3), F(2x2, 5x5); see {@link WinogradMode}): `'auto'` (default, or `ALEXNET_NATIVE_WINOGRAD`)
 * where it was measured to pay, `'always'`, or `'off'` for the direct im2col path.
 * Both agree with the CPU backend to float32 rounding; the bits differ between them.
 */
export function setNativeWinograd(mode: WinogradMode): void {
  if (!nativeAddon().setWinograd(mode))
    throw new RangeError(`Winograd mode must be one of off, auto, always, got ${JSON.stringify(mode)}`);
}
