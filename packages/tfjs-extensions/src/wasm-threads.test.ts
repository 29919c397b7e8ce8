import { expectClose } from '@alexnet/test-utils';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { registerThreadedWasm } from './wasm-threads.js';

describe.runIf(tf.getBackend() === 'cpu')('registerThreadedWasm', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('starts the threaded wasm build with the threads asked for (running in workers) and computes as the CPU does', async () => {
    const a = tf.randomNormal([64, 96], 0, 1, 'float32', 1);
    const b = tf.randomNormal([96, 48], 0, 1, 'float32', 2);
    const expected = tf.matMul(a, b).dataSync();
    expect(await registerThreadedWasm(2)).toBe(2);
    expect(await tf.setBackend('wasm')).toBe(true);
    const module = (
      tf.backend() as unknown as {
        wasm: { tfjs: { getThreadsCount(): number }; PThread: { runningWorkers: unknown[] } };
      }
    ).wasm;
    expect(module.tfjs.getThreadsCount()).toBe(2);
    // The pool's threads are Workers started from the data: URL module: one that failed to load would not run.
    expect(module.PThread.runningWorkers.length).toBeGreaterThanOrEqual(1);
    const product = tf.matMul(a, b);
    expectClose(product.dataSync(), expected, 1e-5, 'matMul');
    tf.dispose(product);
    await tf.setBackend('cpu');
    tf.dispose([a, b]);
  });

  it('caps the pool at 8 threads and floors it at 1', async () => {
    expect(await registerThreadedWasm(64)).toBe(8);
    expect(await registerThreadedWasm(0)).toBe(1);
  });
});
