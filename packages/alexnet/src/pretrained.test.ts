import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { expectClose, fixtureBytes, nchwToNhwc } from '@alexnet/test-utils';
import { readSafetensors } from '@alexnet/torch-io';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  ALEXNET_TORCHVISION,
  ALEXNET_TORCHVISION_WEIGHTS,
  AlexNet,
  createModel,
  getModelBuilder,
  getWeights,
  IMAGENET_CLASS_NAMES,
  IMAGENET_MEAN,
  IMAGENET_PREPROCESSING,
  IMAGENET_STD,
  listModels,
  listWeights,
  loadPretrained,
  type PretrainedWeights,
  registerModel,
  registerWeights,
  sha256Hex,
  verifyWeights,
} from './index.js';

const TORCHVISION = 'alexnet_torchvision.IMAGENET1K_V1';

describe('the weights table', () => {
  it("has torchvision's AlexNet_Weights.IMAGENET1K_V1 with torchvision's meta", () => {
    const weights = getWeights(TORCHVISION);
    expect(weights).toBe(ALEXNET_TORCHVISION_WEIGHTS.IMAGENET1K_V1);
    expect(weights).toMatchObject({
      tag: TORCHVISION,
      model: 'alexnet_torchvision',
      name: 'IMAGENET1K_V1',
      source: {
        url: 'https://download.pytorch.org/models/alexnet-owt-7be5be79.pth',
        fileName: 'alexnet-owt-7be5be79.pth',
        format: 'pytorch',
        bytes: 244_408_911,
      },
      sha256: { hex: '7be5be791159472b1fbf3c69796f7cb30dca7ad8466c2df70058c37116cdee02', complete: true },
      numParameters: 61_100_840,
      minInputSize: 63,
      recipe: 'https://github.com/pytorch/vision/tree/main/references/classification#alexnet-and-vgg',
      license: null,
    });
    // torch.hub's convention: the digits after the last '-' of the file name begin the file's SHA-256.
    expect(weights.sha256.hex.startsWith(/-([0-9a-f]+)\.pth$/.exec(weights.source.fileName)?.[1] ?? 'none')).toBe(true);
    // torchvision's _file_size is in MiB.
    expect(((weights.source.bytes ?? 0) / 2 ** 20).toFixed(3)).toBe('233.087');
    expect(weights.metrics).toEqual([
      { dataset: 'ImageNet-1K val', top1: 56.522, top5: 79.066, source: expect.stringContaining('torchvision') },
    ]);
    // torchvision's ImageClassification(crop_size=224) preset.
    expect(weights.preprocessing).toEqual({
      resize: 256,
      crop: 224,
      interpolation: 'bilinear',
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
      layout: 'NHWC',
    });
    expect(weights.classNames).toBe(IMAGENET_CLASS_NAMES);
    expect(Object.isFrozen(weights)).toBe(true);
  });

  it("keeps ImageNet's mean and std in one place", () => {
    expect(IMAGENET_MEAN).toEqual([0.485, 0.456, 0.406]);
    expect(IMAGENET_STD).toEqual([0.229, 0.224, 0.225]);
    expect(IMAGENET_PREPROCESSING.mean).toEqual(IMAGENET_MEAN);
    expect(IMAGENET_PREPROCESSING.std).toEqual(IMAGENET_STD);
  });

  it('matches the built model: parameters, smallest input, classes and preprocessing', () => {
    const weights = getWeights('alexnet_torchvision', 'IMAGENET1K_V1');
    const model = createModel(weights.model, { ...weights.modelOptions, seed: 1 });
    expect(model.numParameters()).toBe(weights.numParameters);
    expect(model.inputSizes().min).toBe(weights.minInputSize);
    expect(model.options.numClasses).toBe(weights.classNames.length);
    expect(model.preprocessing).toEqual(weights.preprocessing);
    model.dispose();
  });

  it('lists entries whose models are all registered, by model', () => {
    const all = listWeights();
    expect(all.map((w) => w.tag)).toContain(TORCHVISION);
    for (const weights of all) {
      expect(listModels(), weights.tag).toContain(weights.model);
      expect(weights.tag).toBe(`${weights.model}.${weights.name}`);
      expect(getModelBuilder(weights.model).preprocessing, weights.tag).toEqual(weights.preprocessing);
    }
    expect(listWeights('alexnet_torchvision').map((w) => w.tag)).toEqual([TORCHVISION]);
    expect(listWeights('alexnet_v1')).toEqual([]);
    expect(() => listWeights('resnet50')).toThrow(/Unknown model "resnet50". Available models: .*alexnet_torchvision/);
  });

  it('rejects unknown models and names, listing the known weights', () => {
    expect(() => getWeights('alexnet_torchvision', 'IMAGENET1K_V2')).toThrow(
      'Unknown weights "alexnet_torchvision.IMAGENET1K_V2": alexnet_torchvision has no weights named "IMAGENET1K_V2". Known weights: alexnet_torchvision.IMAGENET1K_V1',
    );
    expect(() => getWeights('alexnet_v1.IMAGENET1K_V1')).toThrow(
      /alexnet_v1 has no weights in the table\. Known weights: alexnet_torchvision\.IMAGENET1K_V1/,
    );
    expect(() => getWeights('resnet50.IMAGENET1K_V1')).toThrow(
      /no model is registered as "resnet50"\. Known weights: alexnet_torchvision\.IMAGENET1K_V1/,
    );
    expect(() => getWeights('alexnet_torchvision')).toThrow(
      /"alexnet_torchvision" is not a weights tag <model>\.<weights>.*alexnet_torchvision\.IMAGENET1K_V1/,
    );
  });

  it('refuses entries for unregistered models, repeated tags and malformed hashes', () => {
    const { tag: _tag, ...init } = getWeights(TORCHVISION);
    expect(() => registerWeights({ ...init, model: 'resnet50' })).toThrow(/Unknown model "resnet50"/);
    expect(() => registerWeights(init)).toThrow(/"alexnet_torchvision.IMAGENET1K_V1" are already registered/);
    expect(() =>
      registerWeights({ ...init, name: 'SHORT', sha256: { hex: '7be5be79', complete: true, source: 'x' } }),
    ).toThrow(/alexnet_torchvision.SHORT: sha256.hex must be 64 lower-case hex digits/);
    expect(() =>
      registerWeights({ ...init, name: 'ESCAPES', source: { ...init.source, fileName: '../../.bashrc' } }),
    ).toThrow(
      'Weights alexnet_torchvision.ESCAPES: source.fileName must be a plain file name (letters, digits, _ . + -), got "../../.bashrc"',
    );
  });
});

describe('checking and loading a file of the table', () => {
  const fixtureUrl = (name: string) => new URL(`../fixtures/${name}`, import.meta.url);

  it('hashes with the SHA-256 of FIPS 180-2 and node:crypto', async () => {
    expect(await sha256Hex(new TextEncoder().encode('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    const bytes = fixtureBytes(fixtureUrl('torchvision.pth'));
    expect(await sha256Hex(bytes)).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('refuses a file whose hash is not the entry’s, naming both', async () => {
    const bytes = fixtureBytes(fixtureUrl('torchvision.pth'));
    const actual = createHash('sha256').update(bytes).digest('hex');
    await expect(verifyWeights(TORCHVISION, bytes, 'torchvision.pth')).rejects.toThrow(
      `torchvision.pth is not alexnet-owt-7be5be79.pth of ${TORCHVISION}: its SHA-256 is ${actual}, the table says 7be5be791159472b1fbf3c69796f7cb30dca7ad8466c2df70058c37116cdee02`,
    );
    await expect(
      loadPretrained(TORCHVISION, 'https://download.pytorch.org/models/alexnet-owt-7be5be79.pth'),
    ).rejects.toThrow(/reads local files only, not https:\/\/download\.pytorch\.org.*pass its path or bytes/);
    await expect(loadPretrained(TORCHVISION, '/nowhere/alexnet-owt-7be5be79.pth')).rejects.toThrow(
      'Weight file not found: /nowhere/alexnet-owt-7be5be79.pth',
    );
  });

  it("loads a registered entry's file after checking it (full hash or prefix), giving PyTorch's logits", async () => {
    // torchvision's alexnet at small widths (scripts/fixtures/pytorch_reference.py), as an entry of its own.
    const expected = readSafetensors(fixtureBytes(fixtureUrl('torchvision.expected.safetensors')));
    const config = JSON.parse(expected.metadata.config) as {
      convs: number[];
      hidden: number;
      classes: number;
      side: number;
    };
    registerModel({
      ...ALEXNET_TORCHVISION,
      name: 'alexnet_torchvision_fixture_test',
      convs: ALEXNET_TORCHVISION.convs.map((stage, i) => ({ ...stage, out: config.convs[i] })),
      hidden: ALEXNET_TORCHVISION.hidden.map(() => config.hidden),
    });
    const path = fileURLToPath(fixtureUrl('torchvision.pth'));
    const hex = createHash('sha256')
      .update(fixtureBytes(fixtureUrl('torchvision.pth')))
      .digest('hex');
    const classNames = Array.from({ length: config.classes }, (_, i) => `fixture class ${i}`);
    const { tag: _tag, ...torchvision } = getWeights(TORCHVISION);
    const entry: PretrainedWeights = registerWeights({
      ...torchvision,
      model: 'alexnet_torchvision_fixture_test',
      name: 'FIXTURE',
      modelOptions: { numClasses: config.classes },
      source: { url: null, fileName: 'torchvision.pth', format: 'pytorch', bytes: null },
      sha256: { hex, complete: true, source: 'node:crypto over the fixture' },
      classNames,
    });
    expect(listWeights('alexnet_torchvision_fixture_test')).toEqual([entry]);

    const x = nchwToNhwc(readSafetensors(fixtureBytes(fixtureUrl(`input${config.side}.safetensors`))).tensors.input);
    const before = tf.memory().numTensors;
    const prefixOnly = { ...entry, sha256: { hex: hex.slice(0, 8), complete: false, source: 'prefix' } };
    for (const weights of [entry.tag, prefixOnly]) {
      const model = (await loadPretrained(weights, path)) as AlexNet;
      expect(model).toBeInstanceOf(AlexNet);
      expect(model.classNames).toEqual(classNames);
      const logits = model.eval().forward(x);
      expectClose(logits.dataSync(), expected.tensors.logits.data, 1e-4, 'logits');
      logits.dispose();
      model.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    const wrong = { ...entry, sha256: { hex: '00000000', complete: false, source: 'wrong' } };
    await expect(loadPretrained(wrong, path)).rejects.toThrow(
      /the table says 00000000\.\.\. \(only this prefix is known\)/,
    );
    x.dispose();
  });
});
