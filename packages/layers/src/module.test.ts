import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Conv2d, Dropout, Flatten, Linear, MaxPool2d, RandomGenerator, ReLU, Sequential } from './index.js';

function tinyNet(seed = 1) {
  const rng = new RandomGenerator(seed);
  return new Sequential({
    features: new Sequential([
      new Conv2d({ inChannels: 3, outChannels: 4, kernelSize: 3, padding: 1, rng }),
      new ReLU(),
      new MaxPool2d({ kernelSize: 2 }),
    ]),
    flatten: new Flatten(),
    classifier: new Sequential([new Dropout({ rng }), new Linear({ inFeatures: 4 * 2 * 2, outFeatures: 5, rng })]),
  });
}

describe('Module', () => {
  it('names parameters by their path through the module tree, as PyTorch does', () => {
    const net = tinyNet();
    expect(net.namedParameters().map(([name]) => name)).toEqual([
      'features.0.weight',
      'features.0.bias',
      'classifier.1.weight',
      'classifier.1.bias',
    ]);
    expect(net.parameters()).toHaveLength(4);
    expect(net.numParameters()).toBe(4 * 3 * 9 + 4 + 16 * 5 + 5);
    net.dispose();
  });

  it('exports state dicts in PyTorch layouts (conv OIHW, linear [out, in]) and loads them back', () => {
    const a = tinyNet(1);
    const b = tinyNet(2);
    const dict = a.stateDict();
    expect(dict['features.0.weight'].shape).toEqual([4, 3, 3, 3]);
    expect(dict['classifier.1.weight'].shape).toEqual([5, 16]);
    expect(b.loadStateDict(dict)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    const x = tf.randomNormal([2, 4, 4, 3], 0, 1, 'float32', 3);
    a.eval();
    b.eval();
    expect(Array.from(b.forward(x).dataSync())).toEqual(Array.from(a.forward(x).dataSync()));
    tf.dispose([x, ...Object.values(dict)]);
    a.dispose();
    b.dispose();
  });

  it('names missing, unexpected and mis-shaped keys and changes nothing when a strict load fails', () => {
    const net = tinyNet();
    const before = net.stateDict();
    const dict = net.stateDict();
    dict['classifier.9.weight'] = dict['classifier.1.weight'];
    delete dict['classifier.1.weight'];
    dict['features.0.bias'] = tf.zeros([7]);
    dict['features.0.weight'] = tf.zeros([4, 3, 3, 3]);
    expect(() => net.loadStateDict(dict)).toThrow(/missing keys: classifier\.1\.weight/);
    expect(() => net.loadStateDict(dict)).toThrow(/unexpected keys: classifier\.9\.weight/);
    expect(() => net.loadStateDict(dict)).toThrow(
      /features\.0\.bias: shape \[7\] in the state dict, \[4\] in the model/,
    );
    const after = net.stateDict();
    expect(Array.from(after['features.0.weight'].dataSync())).toEqual(
      Array.from(before['features.0.weight'].dataSync()),
    );
    tf.dispose([...Object.values(before), ...Object.values(after), ...Object.values(dict)]);
    net.dispose();
  });

  it('reports missing and unexpected keys instead of failing when not strict', () => {
    const net = tinyNet();
    const dict = net.stateDict();
    const extra = tf.zeros([1]);
    const result = net.loadStateDict({ 'features.0.weight': dict['features.0.weight'], extra }, { strict: false });
    expect(result.missingKeys).toEqual(['features.0.bias', 'classifier.1.weight', 'classifier.1.bias']);
    expect(result.unexpectedKeys).toEqual(['extra']);
    tf.dispose([extra, ...Object.values(dict)]);
    net.dispose();
  });

  it('switches dropout off in eval mode, for every descendant', () => {
    const net = tinyNet();
    const x = tf.randomNormal([3, 4, 4, 3], 0, 1, 'float32', 5);
    net.train();
    expect(net.namedModules().every(([, m]) => m.training)).toBe(true);
    const t1 = net.forward(x);
    const t2 = net.forward(x);
    expect(Array.from(t1.dataSync())).not.toEqual(Array.from(t2.dataSync()));
    net.eval();
    expect(net.namedModules().some(([, m]) => m.training)).toBe(false);
    const e1 = net.forward(x);
    const e2 = net.forward(x);
    expect(Array.from(e1.dataSync())).toEqual(Array.from(e2.dataSync()));
    tf.dispose([x, t1, t2, e1, e2]);
    net.dispose();
  });

  it('converts gradients to PyTorch layouts by parameter name', () => {
    const net = tinyNet();
    const grads = { 'features.0.weight': tf.ones([3, 3, 3, 4]), 'classifier.1.weight': tf.ones([16, 5]) };
    const torch = net.toTorchLayout(grads);
    expect(torch['features.0.weight'].shape).toEqual([4, 3, 3, 3]);
    expect(torch['classifier.1.weight'].shape).toEqual([5, 16]);
    expect(() => net.toTorchLayout({ nope: grads['classifier.1.weight'] })).toThrow(/no parameter named "nope"/);
    tf.dispose([...Object.values(grads), ...Object.values(torch)]);
    net.dispose();
  });

  it('frees its variables on dispose', () => {
    const before = tf.memory().numTensors;
    const net = tinyNet();
    expect(tf.memory().numTensors).toBe(before + 4);
    net.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
