/**
 * Helpers shared by the packages' tests: fixture files, layout conversion, tolerance checks, test images, a loopback
 * file server, headless Chromium. Never published.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

/** The bytes of a committed fixture (written by scripts/fixtures/pytorch_reference.py). */
export function fixtureBytes(url: URL): Uint8Array {
  return new Uint8Array(readFileSync(url));
}

/** NCHW (PyTorch) data as an NHWC tensor. */
export function nchwToNhwc(raw: { shape: number[]; data: Float32Array | Int32Array }): tf.Tensor4D {
  return tf.tidy(() =>
    tf.transpose(tf.tensor4d(raw.data, raw.shape as [number, number, number, number], 'float32'), [0, 2, 3, 1]),
  );
}

/**
 * Asserts `actual` matches `expected` to a relative tolerance measured against the largest magnitude of the
 * expected values: |a - e| <= tolerance * max|e| element-wise (elements near zero cannot meet a per-element
 * relative bound in float32), and reports the worst element.
 */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: number,
  label = '',
): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  let worst = 0;
  let worstIndex = -1;
  for (let i = 0; i < expected.length; i++) {
    const error = Math.abs(actual[i] - expected[i]);
    if (!(error <= worst)) {
      worst = error;
      worstIndex = i;
    }
  }
  const relative = scale > 0 ? worst / scale : worst;
  expect(
    relative,
    `${label}: worst relative error ${relative} at ${worstIndex} (${actual[worstIndex]} vs ${expected[worstIndex]})`,
  ).toBeLessThanOrEqual(tolerance);
}

/** Runs `step` `times` times and asserts the number of live tensors is the same after as after the first run. */
export function expectNoTensorLeak(step: () => void, times = 3): void {
  step();
  const before = tf.memory().numTensors;
  for (let i = 1; i < times; i++) step();
  expect(tf.memory().numTensors, 'live tensors after repeated steps').toBe(before);
}

/** Debian's Chromium, when installed (`.ci/run` installs it); browser tests skip without it. */
export const CHROMIUM: string | undefined = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync);

/**
 * Runs headless Chromium with the flags this machine needs (no sandbox as root, no background networking, which
 * the closed network refuses) plus `args`, and returns what it printed. Console messages go to stderr.
 */
export function headlessChromium(args: string[], timeoutMs = 60_000): Promise<{ stdout: string; stderr: string }> {
  if (!CHROMIUM) return Promise.reject(new Error('Chromium is not installed'));
  const flags = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--enable-logging=stderr',
    '--v=0',
    `--user-data-dir=${mkdtempSync(join(tmpdir(), 'chromium-'))}`,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(CHROMIUM, [...flags, ...args]);
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      resolve({ stdout, stderr });
    });
  });
}

export { encodePng, waveImage } from './png.js';
export { serveFolders } from './serve.js';

/**
 * The flags playwright-core's `chromium.launch` needs for Debian's Chromium here: no sandbox (CI runs as root),
 * WebGPU on its SwiftShader fallback adapter, WebGL on ANGLE's SwiftShader, no background networking.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--use-angle=swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];
