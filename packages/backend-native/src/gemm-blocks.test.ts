import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { loadAddon, type NativeAddon } from './addon.js';
import { nativeBackendStatus, setNativeGemmBlocks } from './backend.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const load = loadAddon();
if (!load.addon) throw new Error(load.reason);
const addon: NativeAddon = load.addon;
const startIsa = addon.info().isa;

/** The micro-tile of each instruction set's kernel (native/gemm.c's ISAS table). */
const TILES = { avx512: { mr: 12, nr: 32 }, avx2: { mr: 6, nr: 16 }, sse: { mr: 6, nr: 8 } } as const;
const supportedIsas = (Object.keys(TILES) as (keyof typeof TILES)[]).filter((isa) => {
  const ok = addon.setIsa(isa);
  addon.setIsa(startIsa);
  return ok;
});

let seed = 7;
const random = (n: number) =>
  Float32Array.from({ length: n }, () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1);

/** op(A) op(B) (+ C) in float64, the reference every blocking is held to. */
function reference(
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
  m: number,
  n: number,
  k: number,
  ta: boolean,
  tb: boolean,
) {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = c[i * n + j];
      for (let p = 0; p < k; p++) s += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
      out[i * n + j] = s;
    }
  return out;
}

afterEach(() => {
  addon.setGemmBlocks(0, 0, 0);
  addon.setIsa(startIsa);
  addon.setThreads(2);
});

describe('the matrix products cache blocking', () => {
  it('is derived from the cache sizes the system reports, per instruction set', () => {
    for (const isa of supportedIsas) {
      addon.setIsa(isa);
      const { gemmBlocks, caches } = addon.info();
      const { mr, nr } = TILES[isa];
      expect(gemmBlocks.source).toBe('caches');
      // kc: L1d / 128 bytes (a 32 KiB L1d when unknown), a multiple of 8 in [128, 512].
      const l1 = caches.l1d > 0 ? caches.l1d : 32 * 1024;
      expect(gemmBlocks.kc).toBe(Math.min(512, Math.max(128, Math.floor(l1 / 128 / 8) * 8)));
      // mc: whole micro-tiles, the packed block of A within a quarter of L2 (512 KiB when unknown).
      const l2 = caches.l2 > 0 ? caches.l2 : 512 * 1024;
      expect(gemmBlocks.mc % mr).toBe(0);
      expect(gemmBlocks.mc).toBeGreaterThanOrEqual(mr);
      expect(gemmBlocks.mc * gemmBlocks.kc * 4 <= l2 / 4 || gemmBlocks.mc === mr).toBe(true);
      expect((gemmBlocks.mc + mr) * gemmBlocks.kc * 4).toBeGreaterThan(l2 / 4);
      // nc: whole slivers, at least 512, the packed panel of B at most 2 MiB.
      expect(gemmBlocks.nc % nr).toBe(0);
      expect(gemmBlocks.nc).toBeGreaterThanOrEqual(512);
      expect(gemmBlocks.kc * gemmBlocks.nc * 4).toBeLessThanOrEqual(2 * 1024 * 1024);
    }
  });

  it('gives correct products under any blocking, and the same bits for any mc and nc', () => {
    const shapes: [number, number, number][] = [
      [1, 1, 1],
      [37, 70, 300],
      [130, 45, 97],
    ];
    for (const isa of supportedIsas) {
      addon.setIsa(isa);
      addon.setGemmBlocks(0, 0, 0);
      const { kc } = addon.info().gemmBlocks;
      for (const [m, n, k] of shapes)
        for (const [ta, tb] of [
          [false, false],
          [true, false],
          [false, true],
          [true, true],
        ] as const) {
          const a = random(m * k);
          const b = random(k * n);
          const start = random(m * n);
          const run = (blocks: [number, number, number], threads: number) => {
            expect(addon.setGemmBlocks(...blocks)).toBe(true);
            addon.setThreads(threads);
            const c = start.slice();
            addon.gemm(a, b, c, m, n, k, ta, tb, true);
            return c;
          };
          const derived = run([0, 0, 0], 2);
          const expected = reference(a, b, start, m, n, k, ta, tb);
          for (let i = 0; i < expected.length; i++) expect(Math.abs(derived[i] - expected[i])).toBeLessThan(1e-4);
          // Many small blocks and panels (mc and nc round up to one micro-tile), on one thread and on two: the same
          // depth of slab, so each sum is split the same way and the bits are the same.
          for (const threads of [1, 2]) {
            expect(run([kc, 1, 1], threads)).toEqual(derived);
            expect(run([kc, 25, 40], threads)).toEqual(derived);
          }
          // Shallower and deeper slabs split each sum elsewhere: equal to float32 rounding.
          for (const depth of [32, 33, 1024]) {
            const c = run([depth, 13, 50], 2);
            for (let i = 0; i < expected.length; i++) expect(Math.abs(c[i] - expected[i])).toBeLessThan(1e-4);
          }
        }
    }
  });

  it('refuses blockings out of range and says which, and returns to the derived one on auto', () => {
    const derived = addon.info().gemmBlocks;
    for (const blocks of [
      [31, 100, 100],
      [1025, 100, 100],
      [256, 0, 100],
      [256, 1537, 100],
      [256, 100, 8193],
      // Each packed buffer at most 2^21 floats.
      [1024, 100, 4096],
      [1024, 1536, 2048 + 32],
      [Number.NaN, 100, 100],
      [256.5, 100, 100],
      [256, Number.POSITIVE_INFINITY, 100],
      [2 ** 40, 100, 100],
    ] as [number, number, number][]) {
      expect(addon.setGemmBlocks(...blocks)).toBe(false);
      expect(addon.info().gemmBlocks).toEqual(derived);
    }
    expect(() => setNativeGemmBlocks({ kc: 16, mc: 100, nc: 100 })).toThrow(
      /GEMM blocks must be whole numbers with kc in \[32, 1024\].*at most 2097152.*got \{"kc":16,"mc":100,"nc":100\}/,
    );
    setNativeGemmBlocks({ kc: 64, mc: 100, nc: 200 });
    const set = nativeBackendStatus();
    if (!set.available) throw new Error(set.reason);
    const { mr, nr } = TILES[set.isa as keyof typeof TILES];
    expect(set.gemmBlocks).toEqual({
      kc: 64,
      mc: Math.floor(100 / mr) * mr,
      nc: Math.floor(200 / nr) * nr,
      source: 'set',
    });
    setNativeGemmBlocks('auto');
    expect(addon.info().gemmBlocks).toEqual(derived);
  });

  it('takes ALEXNET_NATIVE_GEMM_BLOCKS, and warns naming it when it is malformed', () => {
    const script = `
      const native = await import(${JSON.stringify(join(root, 'dist', 'index.js'))});
      const status = native.nativeBackendStatus();
      console.log(JSON.stringify(status.gemmBlocks));
    `;
    const run = (value: string) =>
      spawnSync(process.execPath, ['--input-type=module', '-e', script], {
        cwd: root,
        env: { ...process.env, ALEXNET_NATIVE_GEMM_BLOCKS: value, ALEXNET_NATIVE_ISA: 'sse' },
        encoding: 'utf8',
      });
    const good = run('64,30,80');
    expect(good.status, good.stderr).toBe(0);
    expect(JSON.parse(good.stdout.trim().split('\n').pop() as string)).toEqual({
      kc: 64,
      mc: 30,
      nc: 80,
      source: 'environment',
    });
    expect(good.stderr).not.toMatch(/ALEXNET_NATIVE_GEMM_BLOCKS/);
    for (const value of ['64,30', '64,30,80x', '16,30,80']) {
      const bad = run(value);
      expect(bad.status, bad.stderr).toBe(0);
      expect(JSON.parse(bad.stdout.trim().split('\n').pop() as string).source).toBe('caches');
      expect(bad.stderr).toContain(
        `ALEXNET_NATIVE_GEMM_BLOCKS=${JSON.stringify(value)} ignored: it must be "kc,mc,nc"`,
      );
    }
  });
});
