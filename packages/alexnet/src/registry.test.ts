import { Linear, Module } from '@alexnet/layers';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  AlexNet,
  buildModel,
  createModel,
  getArchitecture,
  getModelBuilder,
  IMAGENET_PREPROCESSING,
  isAlexNetBuilder,
  listModels,
  type ModelBuilder,
  registerModel,
} from './index.js';

/** A model that is no AlexNet: one linear layer over the flattened image. */
class LinearProbe extends Module {
  readonly linear: Linear;

  override get typeName(): string {
    return 'LinearProbe';
  }

  constructor(
    readonly side: number,
    classes: number,
  ) {
    super();
    this.linear = this.registerModule('linear', new Linear({ inFeatures: side * side * 3, outFeatures: classes }));
  }

  override forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.linear.forward(tf.reshape(x, [x.shape[0] as number, -1])));
  }
}

interface ProbeOptions {
  side?: number;
  classes?: number;
}

const probe: ModelBuilder<ProbeOptions, LinearProbe> = {
  name: 'linear_probe_test',
  description: 'a linear classifier on raw pixels (a registry test)',
  source: 'this test',
  defaults: { side: 8, classes: 3 },
  preprocessing: { ...IMAGENET_PREPROCESSING, resize: 9, crop: 8 },
  build: ({ side = 8, classes = 3 } = {}) => new LinearProbe(side, classes),
};

describe('the builder registry', () => {
  it('registers and builds a model that is not an AlexNet', () => {
    expect(registerModel(probe)).toBe(probe);
    expect(listModels()).toContain('linear_probe_test');
    expect(getModelBuilder('linear_probe_test')).toBe(probe);
    expect(isAlexNetBuilder(probe)).toBe(false);
    const model = buildModel('linear_probe_test', { side: 4, classes: 5 });
    expect(model).toBeInstanceOf(LinearProbe);
    expect(model.numParameters()).toBe(4 * 4 * 3 * 5 + 5);
    const x = tf.ones([2, 4, 4, 3]);
    const y = model.forward(x);
    expect(y.shape).toEqual([2, 5]);
    tf.dispose([x, y]);
    model.dispose();
    expect(() => registerModel(probe)).toThrow('A model named "linear_probe_test" is already registered');
  });

  it('keeps createModel and getArchitecture for AlexNets, and says so for other models', () => {
    expect(() => createModel('linear_probe_test')).toThrow(
      `Model "linear_probe_test" is not an AlexNet; build it with buildModel('linear_probe_test', options)`,
    );
    expect(() => getArchitecture('linear_probe_test')).toThrow(/is not an AlexNet/);
    const builder = getModelBuilder('alexnet_torchvision');
    expect(isAlexNetBuilder(builder)).toBe(true);
    expect(builder.defaults).toEqual({
      numClasses: 1000,
      dropout: 0.5,
      lrn: 'none',
      init: 'pytorch',
      head: 'softmax',
      seed: null,
      adaptivePool: 6,
      width: 1,
    });
    expect(builder.preprocessing).toEqual(IMAGENET_PREPROCESSING);
    expect(getArchitecture('alexnet_torchvision').name).toBe('alexnet_torchvision');
    const built = buildModel('alexnet_v2', { seed: 1 });
    expect(built).toBeInstanceOf(AlexNet);
    expect(built.numParameters()).toBe(61_838_248);
    built.dispose();
  });

  it('refuses names a weights tag could not hold', () => {
    expect(() => registerModel({ ...probe, name: 'probe.v2' })).toThrow(
      'registerModel: a model name is a non-empty string without ".", got "probe.v2"',
    );
    expect(() => registerModel({ ...probe, name: '' })).toThrow(/non-empty string/);
    expect(() => getModelBuilder('linear_probe')).toThrow(/Unknown model "linear_probe". Available models: /);
  });
});
