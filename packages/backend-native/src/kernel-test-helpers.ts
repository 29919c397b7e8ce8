// Helpers of this package's kernel tests (not part of its API): seeded inputs and a comparison with the CPU backend.
import { expectClose } from '@alexnet/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

/** A seeded stream of numbers in [-1, 1), so every case is reproducible. */
export function numbers(seed: number) {
  let state = seed >>> 0 || 1;
  return (count: number) =>
    Float32Array.from({ length: count }, () => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return ((state >>> 0) / 2 ** 32) * 2 - 1;
    });
}

export type Arrays = Record<string, { shape: number[]; values: Float32Array }>;

/** Runs `op` on fresh tensors on a backend and returns every output's values. */
export function runOn(
  backend: string,
  inputs: Arrays,
  op: (t: Record<string, tf.Tensor>) => tf.Tensor | tf.Tensor[],
): Float32Array[] {
  const previous = tf.getBackend();
  tf.setBackend(backend);
  try {
    const outputs = tf.tidy(() => {
      const tensors = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, tf.tensor(v.values, v.shape)]));
      const out = op(tensors);
      return Array.isArray(out) ? out : [out];
    });
    // Read outside the tidy: tidy walks what its function returns key by key, seconds for millions of floats.
    try {
      return outputs.map((t) => Float32Array.from(t.dataSync() as Float32Array));
    } finally {
      tf.dispose(outputs);
    }
  } finally {
    tf.setBackend(previous);
  }
}

/** Asserts the native backend gives the CPU backend's results (forward and, through `op`, any gradients). */
export function expectLikeCpu(
  label: string,
  inputs: Arrays,
  op: (t: Record<string, tf.Tensor>) => tf.Tensor | tf.Tensor[],
  tolerance = 1e-5,
): void {
  const expected = runOn('cpu', inputs, op);
  const actual = runOn('native', inputs, op);
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => {
    expectClose(a, expected[i], tolerance, `${label} output ${i}`);
  });
}

export function input(random: (n: number) => Float32Array, ...shape: number[]) {
  return { shape, values: random(shape.reduce((a, b) => a * b, 1)) };
}
