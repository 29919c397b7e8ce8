/**
 * The models' PyTorch parity on WebGPU: the fixtures of @alexnet/models (small widths, batch 2), loaded from the
 * .pth checkpoints PyTorch wrote, give PyTorch's logits (1e-4) and every parameter's gradient of the mean
 * cross-entropy (1e-3), relative to the largest magnitude, as on the CPU backend.
 */
import { loadWeights } from '@alexnet/models';
import { expectClose, nchwToNhwc } from '@alexnet/test-utils';
import { softmaxCrossEntropy } from '@alexnet/trainer';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { NO_GPU } from '../test/gpu.js';
import { buildCase, CASES, fixtureInput, fixturePath } from '../test/models.js';

describe.skipIf(NO_GPU).each(CASES)('%s against PyTorch on webgpu', (name) => {
  it('matches the logits (1e-4) and every parameter gradient (1e-3)', async () => {
    expect(tf.getBackend()).toBe('webgpu');
    const { model, config, expected } = buildCase(name);
    await loadWeights(model, fixturePath(`${name}.pth`));
    model.eval();
    const x = nchwToNhwc(fixtureInput(config.side));
    const labels = tf.tensor1d(Int32Array.from(expected.labels.data), 'int32');
    const logits = model.forward(x);
    expectClose(await logits.data(), expected.logits.data, 1e-4, `${name} logits`);

    const names = model.namedParameters().map(([n]) => n);
    const { value, grads } = tf.variableGrads(() => softmaxCrossEntropy(model.forward(x), labels), model.parameters());
    expectClose(await value.data(), expected.loss.data, 1e-4, `${name} loss`);
    const byName = Object.fromEntries(model.parameters().map((v, i) => [names[i], grads[v.name]]));
    const torchGrads = model.toTorchLayout(byName);
    for (const parameter of names) {
      const reference = expected[`grad.${parameter}`];
      expect(torchGrads[parameter].shape, parameter).toEqual(reference.shape);
      expectClose(await torchGrads[parameter].data(), reference.data, 1e-3, `${name} grad ${parameter}`);
    }
    tf.dispose([x, labels, logits, value, ...Object.values(grads), ...Object.values(torchGrads)]);
    model.dispose();
  });
});
