import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import nodeGypBuild from 'node-gyp-build';

/**
 * When 3x3 and 5x5 stride-1 convolutions use Winograd's minimal filtering (F(4x4, 3x3): 4x fewer multiplications,
 * F(4x4, 5x5): 6.25x; for outputs under 4 on a side F(2x2, 3x3): 2.25x and F(2x2, 5x5): 2.8x): `'auto'` where the
 * measured rule says it pays (both channel counts at least 64, 32 for F(4x4, 5x5); for F(2x2, 3x3) also their product
 * at least 192 x 128), `'always'` for every such shape, `'off'` never.
 */
export type WinogradMode = 'off' | 'auto' | 'always';

/**
 * The matrix products' cache blocking: the depth of a packed slab (`kc`), the rows of a packed block of A (`mc`) and the
 * columns of a packed panel of B (`nc`), and where they come from: derived from the CPU's cache sizes (`'caches'`),
 * from `ALEXNET_NATIVE_GEMM_BLOCKS="kc,mc,nc"` (`'environment'`) or from {@link setNativeGemmBlocks} (`'set'`).
 */
export interface GemmBlocks {
  kc: number;
  mc: number;
  nc: number;
  source: 'caches' | 'environment' | 'set';
}

/** The data cache sizes in bytes that the blocking is derived from (0 where the system does not say). */
export interface CacheSizes {
  l1d: number;
  l2: number;
  l3: number;
}

/** The functions the C addon exports (native/addon.c). Arrays are float32, row-major, NHWC. */
export interface NativeAddon {
  info(): { isa: string; threads: number; winograd: WinogradMode; gemmBlocks: GemmBlocks; caches: CacheSizes };
  /** kc in [32, 1024], mc in [1, 1536], nc in [1, 8192], kc x mc and kc x nc at most 2^21 (mc and nc then rounded
   * down to whole micro-tiles, at least one); (0, 0, 0) returns to the derived blocking. False when refused. */
  setGemmBlocks(kc: number, mc: number, nc: number): boolean;
  /** GFLOP/s of the current threads running independent FMA chains in the current ISA, about 1.5 x `seconds`. */
  fmaPeak(seconds: number): number;
  setThreads(threads: number): void;
  setIsa(isa: string): boolean;
  setWinograd(mode: string): boolean;
  /** Winograd's output tile: 2 or 4 forces F(2x2, r x r) or F(4x4, r x r) for 3x3 and 5x5 filters, 0 the rule's. */
  setWinogradTile(tile: 0 | 2 | 4): void;
  gemm(
    a: Float32Array,
    b: Float32Array,
    c: Float32Array,
    m: number,
    n: number,
    k: number,
    transposeA: boolean,
    transposeB: boolean,
    accumulate: boolean,
  ): void;
  conv2d(
    shape: Int32Array,
    x: Float32Array,
    filter: Float32Array,
    bias: Float32Array | null,
    relu: boolean,
    y: Float32Array,
  ): void;
  conv2dBackpropInput(shape: Int32Array, dy: Float32Array, filter: Float32Array, dx: Float32Array): void;
  conv2dBackpropFilter(shape: Int32Array, x: Float32Array, dy: Float32Array, dw: Float32Array): void;
  maxPool(shape: Int32Array, x: Float32Array, y: Float32Array): void;
  /** y: the forward's output for x. */
  maxPoolGrad(shape: Int32Array, x: Float32Array, y: Float32Array, dy: Float32Array, dx: Float32Array): void;
  lrn(
    channels: number,
    radius: number,
    bias: number,
    alpha: number,
    beta: number,
    x: Float32Array,
    y: Float32Array,
  ): void;
  lrnGrad(
    channels: number,
    radius: number,
    bias: number,
    alpha: number,
    beta: number,
    x: Float32Array,
    y: Float32Array,
    dy: Float32Array,
    dx: Float32Array,
  ): void;
  columnSum(x: Float32Array, out: Float32Array): void;
  transpose(x: Float32Array, shape: Int32Array, perm: Int32Array, out: Float32Array): void;
  /**
   * `out[i] = a[floor(i / innerA) % a.length] op b[floor(i / innerB) % b.length]` (inner repeats default 1): op 0
   * add, 1 subtract, 2 multiply into a Float32Array; 3 greater-or-equal into a Uint8Array of 0 and 1.
   */
  binary(op: 0 | 1 | 2, a: Float32Array, b: Float32Array, out: Float32Array, innerA?: number, innerB?: number): void;
  binary(op: 3, a: Float32Array, b: Float32Array, out: Uint8Array, innerA?: number, innerB?: number): void;
  step(x: Float32Array, alpha: number, out: Float32Array): void;
  relu(x: Float32Array, y: Float32Array): void;
  reluGrad(x: Float32Array, dy: Float32Array, dx: Float32Array): void;
  sgd(
    param: Float32Array,
    grad: Float32Array,
    buffer: Float32Array | null,
    lr: number,
    momentum: number,
    dampening: number,
    weightDecay: number,
    nesterov: boolean,
    first: boolean,
  ): void;
}

/** The addon's folder: its sources, a build from them (build/Release) and the shipped binaries (prebuilds/). */
const NATIVE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'native');

/**
 * Where the addon is: `ALEXNET_NATIVE_ADDON` when set, else what `node-gyp-build` finds in native/: a build from
 * source (native/build/Release), then the prebuilt binary whose file name's tags (`napi`, `glibc`) fit this
 * platform in native/prebuilds/<platform>-<arch>/. Throws, saying where it looked, when there is none.
 */
export function addonPath(): string {
  const override = process.env.ALEXNET_NATIVE_ADDON;
  if (override) {
    if (!existsSync(override)) throw new Error(`${override}: not found`);
    return override;
  }
  try {
    return nodeGypBuild.resolve(NATIVE_DIR);
  } catch (error) {
    throw new Error(`${NATIVE_DIR}: ${(error as Error).message.split('\n')[0]}`);
  }
}

/** The loaded addon, or why none could be loaded. */
export type AddonLoad = { addon: NativeAddon; path: string } | { addon: null; reason: string };

let loaded: AddonLoad | undefined;

/** Loads the addon once. Never throws: a missing or incompatible binary is reported as the reason. */
export function loadAddon(): AddonLoad {
  if (loaded) return loaded;
  let path: string | undefined;
  try {
    path = addonPath();
    loaded = { addon: createRequire(import.meta.url)(path) as NativeAddon, path };
  } catch (error) {
    const problem = `${path ? `${path}: ` : ''}${(error as Error).message.split('\n')[0]}`;
    loaded = {
      addon: null,
      reason:
        `no native addon for ${process.platform}-${process.arch} could be loaded (${problem}). ` +
        'Build it with `npx node-gyp rebuild --directory=native` in the package folder (needs Python 3 and a C compiler).',
    };
  }
  return loaded;
}
