import type { RawTensors } from '@alexnet/torch-io';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { fromStateDict, toStateDict } from './index.js';

describe('toStateDict / fromStateDict', () => {
  it('round-trips raw tensors through tf.Tensors, float32 and int32, leaking none', async () => {
    const raw: RawTensors = {
      'features.0.weight': { dtype: 'float32', shape: [2, 1, 1, 2], data: Float32Array.of(1.5, -2, 3, 0.25) },
      steps: { dtype: 'int32', shape: [], data: Int32Array.of(7) },
    };
    const before = tf.memory().numTensors;
    const dict = toStateDict(raw);
    expect(dict['features.0.weight'].shape).toEqual([2, 1, 1, 2]);
    expect(dict.steps.dtype).toBe('int32');
    expect(await fromStateDict(dict)).toEqual(raw);
    tf.dispose(Object.values(dict));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('downloads bool tensors as int32', async () => {
    const flags = tf.tensor1d([true, false, true], 'bool');
    expect(await fromStateDict({ flags })).toEqual({
      flags: { dtype: 'int32', shape: [3], data: Int32Array.of(1, 0, 1) },
    });
    flags.dispose();
  });
});
