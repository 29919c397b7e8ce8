/**
 * Parity with PyTorch: the fixtures come from scripts/fixtures/pytorch_reference.py, which runs the seed
 * article's AlexNetV1 / AlexNetV2 and torchvision's alexnet (small widths) and records weights, logits and the
 * gradients of the mean cross-entropy loss.
 */

import { expectClose, fixtureBytes, nchwToNhwc } from '@alexnet/test-utils';
import { type RawTensor, readSafetensors } from '@alexnet/torch-io';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { AlexNet } from './alexnet.js';
import { ALEXNET_TORCHVISION, ALEXNET_V1, ALEXNET_V2, type AlexNetArchitecture } from './architectures.js';
import { loadWeights } from './weights.js';

const fixtureUrl = (name: string) => new URL(`../fixtures/${name}`, import.meta.url);
const inputs = new Map<number, RawTensor>();
function input(side: number): RawTensor {
  if (!inputs.has(side))
    inputs.set(side, readSafetensors(fixtureBytes(fixtureUrl(`input${side}.safetensors`))).tensors.input);
  return inputs.get(side) as RawTensor;
}

interface CaseConfig {
  family: 'article' | 'torchvision';
  convs: [number, number, number, number, number];
  lrn: 'reference' | 'paper' | null;
  side: number;
  hidden: number;
  classes: number;
}

/** The registry's architecture with the fixture's small widths: configs are plain data, so this is a spread. */
function smallArchitecture(base: AlexNetArchitecture, config: CaseConfig): AlexNetArchitecture {
  return {
    ...base,
    convs: base.convs.map((stage, i) => ({ ...stage, out: config.convs[i] })),
    hidden: base.hidden.map(() => config.hidden),
  };
}

function buildSmall(name: string): { model: AlexNet; config: CaseConfig; expected: Record<string, RawTensor> } {
  const file = readSafetensors(fixtureBytes(fixtureUrl(`${name}.expected.safetensors`)));
  const config = JSON.parse(file.metadata.config) as CaseConfig;
  const base = config.family === 'torchvision' ? ALEXNET_TORCHVISION : name.startsWith('v1') ? ALEXNET_V1 : ALEXNET_V2;
  const model = new AlexNet(smallArchitecture(base, config), {
    numClasses: config.classes,
    lrn: config.lrn ?? 'none',
    seed: 0,
  });
  return { model, config, expected: file.tensors };
}

function crossEntropy(logits: tf.Tensor, labels: Int32Array | Float32Array, classes: number): tf.Scalar {
  return tf.tidy(() => {
    const oneHot = tf.oneHot(tf.tensor1d(Array.from(labels), 'int32'), classes);
    return tf.mean(tf.neg(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1))) as tf.Scalar;
  });
}

const CASES = ['v1_reference', 'v1_paper', 'v2_reference', 'v2_paper', 'torchvision', 'torchvision_127'];

describe.each(CASES)('%s against PyTorch', (name) => {
  it('matches the logits (1e-4) and every parameter gradient (1e-3) after loading the .pth checkpoint', async () => {
    const { model, config, expected } = buildSmall(name);
    await loadWeights(model, fixtureUrl(`${name}.pth`));
    model.eval();
    const x = nchwToNhwc(input(config.side));
    const logits = model.forward(x);
    expectClose(logits.dataSync(), expected.logits.data, 1e-4, `${name} logits`);

    const names = model.namedParameters().map(([n]) => n);
    const { value, grads } = tf.variableGrads(
      () => crossEntropy(model.forward(x), expected.labels.data, config.classes),
      model.parameters(),
    );
    expectClose(value.dataSync(), expected.loss.data, 1e-4, `${name} loss`);
    const byName = Object.fromEntries(model.parameters().map((v, i) => [names[i], grads[v.name]]));
    const torchGrads = model.toTorchLayout(byName);
    for (const parameter of names) {
      const reference = expected[`grad.${parameter}`];
      expect(torchGrads[parameter].shape, parameter).toEqual(reference.shape);
      expectClose(torchGrads[parameter].dataSync(), reference.data, 1e-3, `${name} grad ${parameter}`);
    }
    tf.dispose([x, logits, value, ...Object.values(grads), ...Object.values(torchGrads)]);
    model.dispose();
  });
});

describe('every checkpoint container loads the same weights', () => {
  const files = [
    'v1_reference.safetensors',
    'v1_reference.legacy.pth',
    'v1_reference.dataparallel.pth',
    'v1_reference.dataparallel.legacy.pth',
  ];
  it.each(files)('%s gives the PyTorch logits', async (file) => {
    const { model, config, expected } = buildSmall('v1_reference');
    const bytes = fixtureBytes(fixtureUrl(file));
    await loadWeights(model, bytes.slice().buffer as ArrayBuffer);
    model.eval();
    const x = nchwToNhwc(input(config.side));
    const logits = model.forward(x);
    expectClose(logits.dataSync(), expected.logits.data, 1e-4, `${file} logits`);
    tf.dispose([x, logits]);
    model.dispose();
  });
});

describe('no tensor leaks', () => {
  it('keeps tf.memory().numTensors flat across forward and backward passes', () => {
    const { model, config, expected } = buildSmall('v2_reference');
    model.train();
    const x = nchwToNhwc(input(config.side));
    const step = () => {
      const { value, grads } = tf.variableGrads(
        () => crossEntropy(model.forward(x), expected.labels.data, config.classes),
        model.parameters(),
      );
      tf.dispose([value, ...Object.values(grads)]);
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    tf.dispose(model.eval().forward(x));
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    model.dispose();
  });
});
