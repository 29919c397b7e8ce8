import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Linear, RandomGenerator, Sequential, StateDictError } from './index.js';

describe('StateDictError', () => {
  it('holds every missing, unexpected and mis-shaped key, and names ten of each in its message', () => {
    const rng = new RandomGenerator(0);
    const net = new Sequential(Array.from({ length: 14 }, () => new Linear({ inFeatures: 2, outFeatures: 2, rng })));
    const dict: Record<string, tf.Tensor> = {};
    for (let i = 0; i < 12; i++) dict[`${i}.weight`] = tf.zeros([3, 2]);
    for (let i = 0; i < 25; i++) dict[`stray.${i}\nline`] = tf.zeros([1]);
    let error: unknown;
    try {
      net.loadStateDict(dict);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StateDictError);
    const { missingKeys, unexpectedKeys, shapeMismatches, message } = error as StateDictError;
    expect(missingKeys).toHaveLength(16);
    expect(unexpectedKeys).toHaveLength(25);
    expect(shapeMismatches[11]).toEqual({ name: '11.weight', shape: [3, 2], expected: [2, 2] });
    const lines = message.split('\n');
    expect(lines[0]).toBe('Error(s) in loading state dict for Sequential:');
    expect(lines[1]).toMatch(/^ {2}missing keys: 0\.bias, 1\.bias, .*, 9\.bias, and 6 more$/);
    // A newline in a key stays inside its line.
    expect(lines[2]).toMatch(/^ {2}unexpected keys: stray\.0\?line, .*, stray\.9\?line, and 15 more$/);
    expect(lines.slice(3)).toEqual([
      ...Array.from({ length: 10 }, (_, i) => `  ${i}.weight: shape [3, 2] in the state dict, [2, 2] in the model`),
      '  and 2 more mismatched shapes',
    ]);
    tf.dispose(Object.values(dict));
    net.dispose();
  });
});
