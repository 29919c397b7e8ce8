import { describe, expect, it } from 'vitest';
import { joinCheckpointTensors, splitCheckpointTensors } from './checkpoint-layout.js';

describe('checkpoint layout', () => {
  it('joins a model state dict and momentum buffers under model. / optimizer.<name>.momentum_buffer', () => {
    const tensors = joinCheckpointTensors({
      model: { 'features.0.weight': 1, 'features.0.bias': 2 },
      momentumBuffers: { 'features.0.weight': 3 },
    });
    expect(tensors).toEqual({
      'model.features.0.weight': 1,
      'model.features.0.bias': 2,
      'optimizer.features.0.weight.momentum_buffer': 3,
    });
    expect(Object.keys(tensors)[2]).toBe('optimizer.features.0.weight.momentum_buffer');
  });

  it('splits a checkpoint back into its parts, leaving out tensors under neither prefix', () => {
    const parts = splitCheckpointTensors({
      'model.classifier.weight': 'w',
      'optimizer.classifier.weight.momentum_buffer': 'b',
      'optimizer.classifier.weight.exp_avg': 'adam state, not SGD momentum',
      'features.0.weight': 'no prefix',
    });
    expect(parts).toEqual({ model: { 'classifier.weight': 'w' }, momentumBuffers: { 'classifier.weight': 'b' } });
    const model = { a: 1, 'model.b': 2 };
    expect(splitCheckpointTensors(joinCheckpointTensors({ model, momentumBuffers: { a: 3 } }))).toEqual({
      model,
      momentumBuffers: { a: 3 },
    });
  });
});
