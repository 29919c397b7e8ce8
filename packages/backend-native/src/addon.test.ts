import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sourcesDigest } from '../../../scripts/native/sources-digest.mjs';
import { loadAddon } from './addon.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const prebuilt = join(root, 'native', 'prebuilds', `${process.platform}-${process.arch}`);

function hasCompiler(): boolean {
  return spawnSync('cc', ['--version']).status === 0;
}

describe('the addon', () => {
  it('checks its arguments and names the wrong one', () => {
    const load = loadAddon();
    if (!load.addon) throw new Error(load.reason);
    const f = new Float32Array(4);
    expect(() => load.addon.gemm(new Float64Array(4) as never, f, f, 2, 2, 1, false, false, false)).toThrow(
      'a must be a Float32Array',
    );
    expect(() => load.addon.gemm(f, f, f, 3, 3, 3, false, false, false)).toThrow('gemm: arrays too small');
    expect(() => load.addon.conv2d(new Int32Array(3), f, f, null, false, f)).toThrow(
      'shape must be an Int32Array of 15',
    );
    expect(() => load.addon.binary(3, f, f, f as never)).toThrow('out must be a Uint8Array for greater-or-equal');
    expect(() => load.addon.binary(0, f, f, f, 0.5)).toThrow('innerA and innerB must be whole numbers');
    // A repeat whose product with a's length would wrap around 64 bits is refused, not divided by.
    expect(() => load.addon.binary(0, f, f, f, 2 ** 62)).toThrow("from 1 to out's length");
    expect(() => load.addon.binary(2.5 as never, f, f, f)).toThrow('binary: op must be 0 (add)');
    // 2 elements repeated 3 times do not tile 4.
    expect(() => load.addon.binary(0, f, new Float32Array(2), f, 1, 3)).toThrow('must divide out');
    const out = new Float32Array(6);
    load.addon.binary(2, Float32Array.of(1, 2, 3, 4, 5, 6), Float32Array.of(10, 100), out, 1, 3);
    expect(Array.from(out)).toEqual([10, 20, 30, 400, 500, 600]);
  });

  it.runIf(existsSync(prebuilt))('ships a prebuilt binary built from the sources in native/', () => {
    expect(existsSync(join(prebuilt, 'alexnet_native.napi.glibc.node'))).toBe(true);
    expect(readFileSync(join(prebuilt, 'SOURCES.sha256'), 'utf8').trim()).toBe(sourcesDigest(join(root, 'native')));
  });

  it.runIf(existsSync(prebuilt) && !existsSync(join(root, 'native', 'build')))(
    'loads the prebuilt binary when there is no build from source',
    () => {
      expect(loadAddon()).toMatchObject({ path: join(prebuilt, 'alexnet_native.napi.glibc.node') });
    },
  );

  it('without a loadable binary registers nothing, says why once, and TF.js keeps its other backends', () => {
    const script = `
      import * as tf from '@tensorflow/tfjs-core';
      import '@tensorflow/tfjs-backend-cpu';
      const native = await import(${JSON.stringify(join(root, 'dist', 'index.js'))});
      const status = native.nativeBackendStatus();
      console.log(JSON.stringify({ status, backends: Object.keys(tf.engine().registryFactory), ok: await tf.setBackend('native').catch(() => false) }));
    `;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: root,
      env: { ...process.env, ALEXNET_NATIVE_ADDON: join(tmpdir(), 'missing', 'alexnet_native.node') },
      encoding: 'utf8',
    });
    expect(result.status, result.stderr).toBe(0);
    const out = JSON.parse(result.stdout.trim().split('\n').pop() as string);
    expect(out.status.available).toBe(false);
    expect(out.status.reason).toMatch(/missing\/alexnet_native.node: not found/);
    expect(out.backends).not.toContain('native');
    expect(out.ok).toBe(false);
    expect(result.stderr.match(/the 'native' backend is not available/g)).toHaveLength(1);
  });

  // The AVX-512 kernel cannot run on a CPU without AVX-512; its tiling (16-float vectors, 12 x 32 tiles) is compiled
  // here for any CPU and checked against a plain triple loop, in every transpose mode.
  it.runIf(hasCompiler())('has an AVX-512 tiling that computes correct products (portable build of it)', () => {
    const out = mkdtempSync(join(tmpdir(), 'alexnet-native-'));
    const binary = join(out, 'wide.node');
    const nodeInclude = join(dirname(dirname(process.execPath)), 'include', 'node');
    const native = join(root, 'native');
    execFileSync('cc', [
      '-O1',
      '-shared',
      '-fPIC',
      '-std=gnu11',
      `-I${nodeInclude}`,
      '-DALEXNET_TEST_WIDE_PORTABLE',
      '-DNODE_GYP_MODULE_NAME=wide',
      ...readdirSync(native)
        .filter((f) => f.endsWith('.c'))
        .map((f) => join(native, f)),
      '-o',
      binary,
      '-lpthread',
      '-lm',
    ]);
    const script = `
      const addon = require(${JSON.stringify(binary)});
      if (!addon.setIsa('avx512')) throw new Error('no avx512 tiling');
      let worst = 0;
      let seed = 1;
      const random = (n) => Float32Array.from({ length: n }, () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1);
      for (const [m, n, k] of [[1, 1, 1], [12, 32, 256], [13, 33, 257], [70, 5, 300], [3, 100, 40]])
        for (const ta of [false, true]) for (const tb of [false, true]) {
          const a = random(m * k), b = random(k * n), c = new Float32Array(m * n);
          addon.gemm(a, b, c, m, n, k, ta, tb, false);
          for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
            let s = 0;
            for (let p = 0; p < k; p++) s += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
            worst = Math.max(worst, Math.abs(s - c[i * n + j]));
          }
        }
      console.log(addon.info().isa, worst);
    `;
    const [isa, worst] = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }).trim().split(' ');
    expect(isa).toBe('avx512');
    expect(Number(worst)).toBeLessThan(1e-4);
  });
});
