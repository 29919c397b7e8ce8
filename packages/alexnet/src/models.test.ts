import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { summary } from '@alexnet/layers';
import { type RawTensors, writeSafetensors } from '@alexnet/torch-io';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ALEXNET_V1,
  AlexNet,
  createModel,
  IMAGENET_CLASS_NAMES,
  listModels,
  loadModel,
  loadWeights,
  readWeights,
  registerModel,
  saveWeights,
  serializeWeights,
  topK,
} from './index.js';

const tmp = mkdtempSync(join(tmpdir(), 'alexnet-models-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A fast stand-in with the real code path: V1's architecture at small widths (configs are plain data). */
const tiny = {
  ...ALEXNET_V1,
  name: 'alexnet_tiny_test',
  convs: ALEXNET_V1.convs.map((c) => ({ ...c, out: 4 })),
  hidden: [8, 8],
};
registerModel(tiny);

/** The conv and linear layers of V1 / V2, by their PyTorch state-dict names. */
const WEIGHTED_LAYERS = [
  'features.0',
  'features.4',
  'features.8',
  'features.10',
  'features.12',
  'classifier.1',
  'classifier.4',
  'classifier.6',
];

describe('registry', () => {
  it('lists the three AlexNets (and registered variants) by name', () => {
    expect(listModels()).toEqual(['alexnet_tiny_test', 'alexnet_torchvision', 'alexnet_v1', 'alexnet_v2']);
    expect(() => registerModel(tiny)).toThrow(/already registered/);
  });

  it('rejects unknown names listing the known ones', () => {
    expect(() => createModel('alexnet_v3')).toThrow(
      /Unknown model "alexnet_v3". Available models: .*alexnet_v1, alexnet_v2/,
    );
  });

  it('has the published parameter counts at 1000 classes and layer tables with multiply-adds', () => {
    const expected: Record<string, [number, number]> = {
      alexnet_v1: [62_378_344, 1_135_256_096],
      alexnet_v2: [61_838_248, 838_788_800],
      alexnet_torchvision: [61_100_840, 714_188_480],
    };
    for (const [name, [parameters, macs]] of Object.entries(expected)) {
      const model = createModel(name, { seed: 1 });
      const table = summary(model, [224, 224, 3]);
      expect(model.numParameters(), name).toBe(parameters);
      expect(table.totalParameters, name).toBe(parameters);
      expect(table.totalMultiplyAdds, name).toBe(macs);
      expect(table.rows.at(-1)?.outputShape).toEqual([-1, 1000]);
      model.dispose();
    }
  });

  it("uses PyTorch's state-dict names: features.{0,4,8,10,12}, classifier.{1,4,6}", () => {
    const v1 = createModel('alexnet_tiny_test', { seed: 1 });
    expect(v1.namedParameters().map(([n]) => n)).toEqual(WEIGHTED_LAYERS.flatMap((m) => [`${m}.weight`, `${m}.bias`]));
    v1.dispose();
    // Without LRN the indices shift as they would in PyTorch (torchvision's layout).
    const none = createModel('alexnet_tiny_test', { lrn: 'none', seed: 1 });
    expect(
      none
        .namedParameters()
        .map(([n]) => n)
        .filter((n) => n.endsWith('weight')),
    ).toEqual(
      [
        'features.0',
        'features.3',
        'features.6',
        'features.8',
        'features.10',
        'classifier.1',
        'classifier.4',
        'classifier.6',
      ].map((m) => `${m}.weight`),
    );
    none.dispose();
  });
});

describe('options', () => {
  it('builds the LRN the option asks for', () => {
    const lrnOf = (model: AlexNet) =>
      model.features.at(2) as unknown as { size: number; alpha: number; beta: number; k: number };
    const paper = createModel('alexnet_tiny_test', { seed: 1 });
    expect(lrnOf(paper)).toMatchObject({ size: 5, alpha: 5e-4, beta: 0.75, k: 2 });
    const reference = createModel('alexnet_tiny_test', { lrn: 'reference', seed: 1 });
    expect(lrnOf(reference)).toMatchObject({ size: 4, alpha: 1e-4, beta: 0.75, k: 1 });
    const custom = createModel('alexnet_tiny_test', { lrn: { size: 3, alpha: 1e-3 }, seed: 1 });
    expect(lrnOf(custom)).toMatchObject({ size: 3, alpha: 1e-3, beta: 0.75, k: 1 });
    for (const m of [paper, reference, custom]) m.dispose();
    expect(() => createModel('alexnet_torchvision', { lrn: 'paper' })).toThrow(/has no LRN layers/);
    expect(() => createModel('alexnet_v1', { lrn: 'big' as never })).toThrow(/lrn must be/);
    expect(() => createModel('alexnet_v1', { numClasses: 0 })).toThrow(/numClasses must be a positive integer/);
  });

  it('initialises as the paper says: N(0, 0.01) weights, biases 1 in conv2, conv4, conv5 and the hidden layers', () => {
    const model = createModel('alexnet_tiny_test', { seed: 3 });
    const state = model.stateDict();
    const mean = (name: string) => tf.tidy(() => tf.mean(state[name]).dataSync()[0]);
    const biases = WEIGHTED_LAYERS;
    expect(biases.map((b) => mean(`${b}.bias`))).toEqual([0, 1, 0, 1, 1, 1, 1, 0]);
    const weight = Array.from(state['classifier.1.weight'].dataSync());
    const std = Math.sqrt(weight.reduce((s, v) => s + v * v, 0) / weight.length);
    expect(std).toBeCloseTo(0.01, 3);
    tf.dispose(Object.values(state));
    model.dispose();
  });

  it('scales every layer by the width multiplier, records it, and refuses widths that make no model', async () => {
    const quarter = createModel('alexnet_v2', { width: 0.25, numClasses: 10, seed: 1 });
    const shapes = quarter.namedParameters().map(([name, v]) => `${name} ${v.shape}`);
    // V2's 64, 192, 384, 384, 256 channels and 4096 hidden units, a quarter each (NHWC filters, [in, out] dense).
    expect(shapes).toEqual([
      'features.0.weight 11,11,3,16',
      'features.0.bias 16',
      'features.4.weight 5,5,16,48',
      'features.4.bias 48',
      'features.8.weight 3,3,48,96',
      'features.8.bias 96',
      'features.10.weight 3,3,96,96',
      'features.10.bias 96',
      'features.12.weight 3,3,96,64',
      'features.12.bias 64',
      'classifier.1.weight 2304,1024',
      'classifier.1.bias 1024',
      'classifier.4.weight 1024,1024',
      'classifier.4.bias 1024',
      'classifier.6.weight 1024,10',
      'classifier.6.bias 10',
    ]);
    const path = join(tmp, 'quarter.safetensors');
    await saveWeights(quarter, path);
    expect((await readWeights(path)).metadata.options).toMatchObject({ width: 0.25 });
    const copy = await loadModel(path);
    expect(copy.options.width).toBe(0.25);
    expect(copy.numParameters()).toBe(quarter.numParameters());
    // Rounded, never below one channel.
    const thin = createModel('alexnet_v2', { width: 0.001, numClasses: 2 });
    expect(thin.namedParameters()[0][1].shape).toEqual([11, 11, 3, 1]);
    for (const width of [0, -1, Number.NaN, 17, '2' as unknown as number]) {
      expect(() => createModel('alexnet_v2', { width }), String(width)).toThrow(
        /width must be a number above 0 and at most 16, got /,
      );
    }
    for (const model of [quarter, copy, thin]) model.dispose();
  });

  it('gives the same weights for the same seed', () => {
    const a = createModel('alexnet_tiny_test', { seed: 9, init: 'pytorch' });
    const b = createModel('alexnet_tiny_test', { seed: 9, init: 'pytorch' });
    expect(Array.from(a.parameters()[0].dataSync())).toEqual(Array.from(b.parameters()[0].dataSync()));
    a.dispose();
    b.dispose();
  });
});

describe('input sizes', () => {
  it('accepts 223 to 254 pixels for V1/V2 and at least 63 for torchvision, and says so otherwise', () => {
    const v2 = createModel('alexnet_v2', { seed: 1 });
    expect(v2.inputSizes()).toEqual({ min: 223, max: 254 });
    expect(() => v2.checkInput([1, 200, 224, 3])).toThrow(
      'alexnet_v2 takes inputs of 223 to 254 pixels a side (224 is standard), got 200x224',
    );
    expect(() => v2.checkInput([1, 3, 224, 224])).toThrow(
      /expects NHWC input \[batch, height, width, 3\], got \[1, 3, 224, 224\] \(this looks like NCHW/,
    );
    v2.dispose();
    const tv = createModel('alexnet_torchvision', { seed: 1 });
    expect(tv.inputSizes()).toEqual({ min: 63, max: null });
    expect(() => tv.checkInput([2, 62, 62, 3])).toThrow(
      'alexnet_torchvision takes inputs of at least 63 pixels a side',
    );
    tv.checkInput([2, 63, 500, 3]);
    tv.dispose();
  });

  it('accepts any side from 63 for V2 with adaptive pooling, keeping its parameter count', () => {
    const v2 = createModel('alexnet_v2', { seed: 1, adaptivePool: 6 });
    expect(v2.inputSizes()).toEqual({ min: 63, max: null });
    expect(v2.numParameters()).toBe(61_838_248);
    expect(v2.namedParameters().map(([n]) => n)).toContain('classifier.6.bias');
    v2.dispose();
  });

  it('runs torchvision at its smallest size', () => {
    const tv = new AlexNet({ ...createModel('alexnet_torchvision').architecture, convs: tiny.convs, hidden: [8, 8] });
    const x = tf.zeros([1, 63, 63, 3]);
    const y = tv.eval().forward(x);
    expect(y.shape).toEqual([1, 1000]);
    tf.dispose([x, y]);
    tv.dispose();
  });
});

describe('weights files', () => {
  it('saves safetensors with metadata and loads them back, into a model or as a new model', async () => {
    const model = createModel('alexnet_tiny_test', {
      seed: 1,
      numClasses: 3,
      classNames: ['a', 'b', 'c'],
      classIds: ['n1', 'n2', 'n3'],
    });
    const path = join(tmp, 'tiny.safetensors');
    await saveWeights(model, path);
    const file = await readWeights(path);
    expect(file.format).toBe('safetensors');
    expect(file.metadata).toMatchObject({
      model: 'alexnet_tiny_test',
      options: { numClasses: 3, lrn: 'paper', init: 'paper', head: 'softmax', dropout: 0.5 },
      preprocessing: { resize: 256, crop: 224, mean: [0.485, 0.456, 0.406] },
      classNames: ['a', 'b', 'c'],
      classIds: ['n1', 'n2', 'n3'],
    });
    expect(file.tensors['features.0.weight'].shape).toEqual([4, 3, 11, 11]);

    const copy = await loadModel(pathToFileURL(path));
    expect(copy.name).toBe('alexnet_tiny_test');
    expect(copy.classIds).toEqual(['n1', 'n2', 'n3']);
    const x = tf.randomNormal([1, 224, 224, 3], 0, 1, 'float32', 1);
    const [y1, y2] = [model.eval().forward(x), copy.eval().forward(x)];
    expect(Array.from(y2.dataSync())).toEqual(Array.from(y1.dataSync()));
    const [top] = await topK(y1, 2, { names: copy.classNames, ids: copy.classIds });
    expect(top).toHaveLength(2);
    expect(top[0].probability).toBeGreaterThanOrEqual(top[1].probability);
    expect(['a', 'b', 'c']).toContain(top[0].label);
    expect(top[0].wnid).toBe(['n1', 'n2', 'n3'][top[0].index]);
    tf.dispose([x, y1, y2]);
    model.dispose();
    copy.dispose();
  });

  it('tells safetensors from pickles even when the header length starts with the pickle byte 0x80', async () => {
    const model = createModel('alexnet_tiny_test', { seed: 1 });
    for (let pad = 0; pad < 300; pad += 8) {
      const bytes = await serializeWeights(model, { pad: 'x'.repeat(pad) });
      if (bytes[0] !== 0x80) continue;
      const file = await readWeights(bytes);
      expect(file.format).toBe('safetensors');
      expect(file.metadata.extra.pad).toHaveLength(pad);
      model.dispose();
      return;
    }
    throw new Error('no padding gave a header length ending in 0x80');
  });

  it("loads the weights of a trainer checkpoint (tensors under 'model.', run state in metadata)", async () => {
    const model = createModel('alexnet_tiny_test', { seed: 4 });
    const weights = await readWeights(await serializeWeights(model));
    const tensors: RawTensors = { 'optimizer.features.0.weight.momentum_buffer': weights.tensors['features.0.weight'] };
    for (const [key, value] of Object.entries(weights.tensors)) tensors[`model.${key}`] = value;
    const checkpoint = writeSafetensors(tensors, { model: 'alexnet_tiny_test', checkpoint: '{"epoch":3}' });
    const copy = createModel('alexnet_tiny_test', { seed: 5 });
    const result = await loadWeights(copy, checkpoint);
    expect(result.unexpectedKeys).toEqual([]);
    expect(Array.from(copy.parameters()[0].dataSync())).toEqual(Array.from(model.parameters()[0].dataSync()));
    expect(result.metadata.extra).toEqual({});
    model.dispose();
    copy.dispose();
  });

  it('refuses files of another model, of the wrong shapes, and non-weight files, leaving the model unchanged', async () => {
    const model = createModel('alexnet_tiny_test', { seed: 1 });
    const before = Array.from(model.parameters()[0].dataSync());
    const other = createModel('alexnet_tiny_test', { seed: 2, numClasses: 10 });
    const bytes = await serializeWeights(other);
    await expect(loadWeights(model, bytes)).rejects.toThrow(
      /Cannot load weights data into alexnet_tiny_test: .*classifier\.6\.weight: shape \[10, 8\] in the state dict, \[1000, 8\] in the model/s,
    );
    const v2 = createModel('alexnet_v2', { seed: 1 });
    await expect(loadWeights(v2, bytes)).rejects.toThrow(/holds alexnet_tiny_test weights, not alexnet_v2/);
    v2.dispose();
    expect(Array.from(model.parameters()[0].dataSync())).toEqual(before);

    const junk = join(tmp, 'junk.pth');
    writeFileSync(junk, 'not a checkpoint at all');
    await expect(loadWeights(model, junk)).rejects.toThrow(
      /junk\.pth is not a weight file this package reads .* starts with bytes 6e 6f 74/,
    );
    const empty = join(tmp, 'empty.safetensors');
    writeFileSync(empty, '');
    await expect(loadWeights(model, empty)).rejects.toThrow(/empty\.safetensors .* it is empty/);
    await expect(loadWeights(model, join(tmp, 'missing.pth'))).rejects.toThrow(/Weight file not found: .*missing\.pth/);
    await expect(saveWeights(model, join(tmp, 'w.bin'))).rejects.toThrow(/writes \.safetensors or PyTorch \.pth/);
    await saveWeights(model, join(tmp, 'w.pth'));
    const pth = await readWeights(join(tmp, 'w.pth'));
    expect(pth.format).toBe('pytorch');
    expect(Array.from(pth.tensors['features.0.bias'].data)).toEqual(Array.from(model.parameters()[1].dataSync()));
    await expect(loadModel(await serializeWeights(model))).resolves.toBeInstanceOf(AlexNet);
    other.dispose();
    model.dispose();
  });
});

describe('classes', () => {
  it('ships the 1000 ImageNet class names in index order', () => {
    expect(IMAGENET_CLASS_NAMES).toHaveLength(1000);
    expect(IMAGENET_CLASS_NAMES[0]).toBe('tench');
    expect(IMAGENET_CLASS_NAMES[999]).toBe('toilet tissue');
  });

  it('topK ranks by softmax or sigmoid probability', async () => {
    const logits = tf.tensor2d([[0, 3, 1, -2]]);
    const [soft] = await topK(logits, 2, { names: ['w', 'x', 'y', 'z'] });
    expect(soft.map((p) => p.label)).toEqual(['x', 'y']);
    const e = [1, Math.exp(3), Math.exp(1), Math.exp(-2)];
    expect(soft[0].probability).toBeCloseTo(e[1] / e.reduce((a, b) => a + b), 6);
    const [sig] = await topK(logits, 1, { head: 'sigmoid' });
    expect(sig[0]).toEqual({
      index: 1,
      wnid: null,
      label: 'class 1',
      probability: expect.closeTo(1 / (1 + Math.exp(-3)), 6),
    });
    logits.dispose();
  });
});
