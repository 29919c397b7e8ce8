import { describe, expect, it } from 'vitest';
import {
  joinCheckpointTensors,
  optimizerStateKey,
  parseOptimizerStateKey,
  splitCheckpointTensors,
} from './checkpoint-layout.js';

describe('checkpoint layout', () => {
  it('joins a model state dict and optimiser state under model. / optimizer.<name>.<state_name>', () => {
    const tensors = joinCheckpointTensors({
      model: { 'features.0.weight': 1, 'features.0.bias': 2 },
      optimizerState: { 'features.0.weight': { momentumBuffer: 3 } },
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
      'optimizer.classifier.weight.exp_avg': 'another optimiser state',
      'features.0.weight': 'no prefix',
    });
    expect(parts).toEqual({
      model: { 'classifier.weight': 'w' },
      optimizerState: { 'classifier.weight': { momentumBuffer: 'b', expAvg: 'another optimiser state' } },
    });
    const model = { a: 1, 'model.b': 2 };
    const optimizerState = { a: { momentumBuffer: 3, sumOfSquares: 4 } };
    expect(splitCheckpointTensors(joinCheckpointTensors({ model, optimizerState }))).toEqual({ model, optimizerState });
  });

  it('writes state names in snake case and refuses names that would not read back', () => {
    expect(optimizerStateKey('features.0.weight', 'momentumBuffer')).toBe(
      'optimizer.features.0.weight.momentum_buffer',
    );
    expect(parseOptimizerStateKey('optimizer.features.0.weight.sum_of_squares')).toEqual({
      parameter: 'features.0.weight',
      stateName: 'sumOfSquares',
    });
    expect(parseOptimizerStateKey('model.features.0.weight')).toBeNull();
    expect(parseOptimizerStateKey('optimizer.')).toBeNull();
    expect(() => optimizerStateKey('w', 'momentum_buffer')).toThrow(/"momentum_buffer" of "w" must be camel case/);
  });
});
