import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { FloatPool } from './float-pool.js';

describe('FloatPool', () => {
  it('hands a freed array of the same length back out, and leaves small ones to the garbage collector', () => {
    const pool = new FloatPool(100);
    const a = pool.take(1000);
    pool.onStore(a);
    pool.onFree(a);
    expect(pool.unusedBytes).toBe(4000);
    expect(pool.take(1000)).toBe(a);
    expect(pool.take(1000)).not.toBe(a);
    const small = pool.take(10);
    pool.onStore(small);
    pool.onFree(small);
    expect(pool.take(10)).not.toBe(small);
  });

  it('never recycles an array that was read out, stored twice, stored as a view, or not its own', () => {
    const pool = new FloatPool(100);
    const read = pool.take(500);
    pool.onStore(read);
    pool.onRead(read);
    pool.onFree(read);
    const twice = pool.take(500);
    pool.onStore(twice);
    pool.onStore(twice);
    pool.onFree(twice);
    const viewed = pool.take(500);
    pool.onStore(viewed);
    pool.onStore(viewed.subarray(10, 20));
    pool.onFree(viewed);
    const foreign = new Float32Array(500);
    pool.onStore(foreign);
    pool.onFree(foreign);
    expect(pool.unusedBytes).toBe(0);
  });

  it('keeps at most its byte and per-length limits unused', () => {
    const pool = new FloatPool(1, 10_000, 2);
    const arrays = [pool.take(1000), pool.take(1000), pool.take(1000), pool.take(600)];
    for (const a of arrays) {
      pool.onStore(a);
      pool.onFree(a);
    }
    expect(pool.unusedBytes).toBe(8000); // two of 1000 floats; the third is over the per-length limit; 600 more would pass 10,000 bytes
  });
});

describe('recycling on the native backend', () => {
  it('reuses kernel outputs across steps without changing any result', () => {
    const x = tf.randomNormal([4, 20, 20, 8], 0, 1, 'float32', 1);
    const f = tf.randomNormal([3, 3, 8, 16], 0, 1, 'float32', 2);
    const step = () =>
      tf.tidy(() =>
        tf
          .relu(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'same'))
          .dataSync()
          .slice(),
      );
    const first = step();
    for (let i = 0; i < 3; i++) expect(step()).toEqual(first);
    tf.dispose([x, f]);
  });

  it('does not reuse an array that user code holds from dataSync()', () => {
    const x = tf.randomNormal([64, 64], 0, 1, 'float32', 3);
    const held = tf.tidy(() => tf.relu(x).dataSync());
    const copy = Float32Array.from(held);
    for (let i = 0; i < 3; i++) tf.tidy(() => tf.relu(tf.neg(x)).dataSync());
    expect(held).toEqual(copy);
    x.dispose();
  });
});
