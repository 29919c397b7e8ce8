/** What the tests share: whether there is an adapter, and running one computation on the CPU and on WebGPU. */
import * as tf from '@tensorflow/tfjs-core';
import { webGpuStatus } from '../src/index.js';

/** The adapter the tests run on (vitest.setup.ts has made it TF.js's backend), or why there is none. */
export const STATUS = await webGpuStatus();

/** True where there is no adapter: `describe.skipIf(NO_GPU)`. vitest.setup.ts has printed why. */
export const NO_GPU = !STATUS.available;

/** Whether the adapter is SwiftShader, whose exact figures the status test checks. */
export const SWIFTSHADER = STATUS.available && STATUS.adapter.architecture === 'swiftshader';

/**
 * Runs `f` (which must make its own tensors, from plain arrays) on the CPU backend and then on WebGPU, and returns
 * both results' values. TF.js keeps both backends' instances, so the WebGPU device is the one the setup made.
 */
export async function onCpuAndGpu(f: () => tf.Tensor): Promise<{ cpu: Float32Array; gpu: Float32Array }> {
  const run = async (backend: string) => {
    await tf.setBackend(backend);
    const result = tf.tidy(f);
    const values = (await result.data()) as Float32Array;
    result.dispose();
    return values;
  };
  const cpu = await run('cpu');
  const gpu = await run('webgpu');
  return { cpu, gpu };
}

/** A seeded generator of uniform floats in [-1, 1) (mulberry32), so a failing case can be rerun as it was. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  };
}

/** `count` values from `next`. */
export function values(next: () => number, count: number): Float32Array {
  return Float32Array.from({ length: count }, next);
}
