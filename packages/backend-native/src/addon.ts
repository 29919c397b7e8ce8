import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The functions the C addon exports (native/addon.c). Arrays are float32, row-major, NHWC. */
export interface NativeAddon {
  info(): { isa: string; threads: number };
  setThreads(threads: number): void;
  setIsa(isa: string): boolean;
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
  maxPoolGrad(shape: Int32Array, x: Float32Array, dy: Float32Array, dx: Float32Array): void;
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
  binary(op: 0 | 1 | 2, a: Float32Array, b: Float32Array, out: Float32Array): void;
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

const FILE = 'alexnet_native.node';

/** Where the addon may be, best first: a build from source (node-gyp), then the prebuilt binary for this platform. */
export function addonCandidates(): string[] {
  const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
  const candidates = [
    join(packageRoot, 'native', 'build', 'Release', FILE),
    join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`, FILE),
  ];
  const override = process.env.ALEXNET_NATIVE_ADDON;
  return override ? [override] : candidates;
}

/** The loaded addon, or why none could be loaded. */
export type AddonLoad = { addon: NativeAddon; path: string } | { addon: null; reason: string };

let loaded: AddonLoad | undefined;

/** Loads the addon once. Never throws: a missing or incompatible binary is reported as the reason. */
export function loadAddon(): AddonLoad {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const problems: string[] = [];
  for (const path of addonCandidates()) {
    if (!existsSync(path)) {
      problems.push(`${path}: not found`);
      continue;
    }
    try {
      loaded = { addon: require(path) as NativeAddon, path };
      return loaded;
    } catch (error) {
      problems.push(`${path}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  loaded = {
    addon: null,
    reason:
      `no native addon for ${process.platform}-${process.arch} could be loaded (${problems.join('; ')}). ` +
      'Build it with `npx node-gyp rebuild --directory=native` in the package folder (needs Python 3 and a C compiler).',
  };
  return loaded;
}
