import {
  ALEXNET_TORCHVISION,
  AlexNet,
  getWeights,
  IMAGENET_PREPROCESSING,
  IMAGENET_MEAN as MODELS_MEAN,
  IMAGENET_STD as MODELS_STD,
  readWeights,
  serializeWeights,
} from '@alexnet/models';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  evalTransforms,
  IMAGENET_MEAN,
  IMAGENET_STD,
  Normalize,
  paperEval,
  referenceEval,
  torchvisionEval,
} from './index.js';

describe('evalTransforms: a preprocessing to transforms', () => {
  it('gives the presets for ImageNet preprocessing, at 224 and at other sizes', () => {
    expect(evalTransforms(IMAGENET_PREPROCESSING)).toEqual(torchvisionEval());
    expect(evalTransforms(IMAGENET_PREPROCESSING)).toEqual(referenceEval());
    expect(evalTransforms(IMAGENET_PREPROCESSING, { tenCrop: true })).toEqual(paperEval());
    for (const size of [63, 160, 224, 227, 299, 384]) {
      expect(evalTransforms(IMAGENET_PREPROCESSING, { size }), `${size}`).toEqual(torchvisionEval(size));
      expect(evalTransforms(IMAGENET_PREPROCESSING, { size }), `${size}`).toEqual(referenceEval(size));
      expect(evalTransforms(IMAGENET_PREPROCESSING, { size, tenCrop: true }), `${size}`).toEqual(paperEval(size));
    }
  });

  it('keeps the interpolation and statistics, and scales the resize with the crop', () => {
    const inception = {
      resize: 342,
      crop: 299,
      interpolation: 'bicubic' as const,
      mean: [0.5, 0.5, 0.5] as [number, number, number],
      std: [0.5, 0.5, 0.5] as [number, number, number],
    };
    expect(evalTransforms(inception)).toEqual([
      { type: 'resize', size: 342, interpolation: 'bicubic' },
      { type: 'centerCrop', size: 299 },
      { type: 'normalize', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
    ]);
    // 224 * 342 / 299 = 256.21.
    expect(evalTransforms(inception, { size: 224, tenCrop: true })).toEqual([
      { type: 'resize', size: 256, interpolation: 'bicubic' },
      { type: 'centerCrop', size: 256 },
      { type: 'tenCrop', size: 224 },
      { type: 'normalize', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
    ]);
  });

  it("takes a weights table entry's and a weight file's preprocessing", async () => {
    expect(evalTransforms(getWeights('alexnet_torchvision.IMAGENET1K_V1').preprocessing)).toEqual(torchvisionEval());
    const before = tf.memory().numTensors;
    const small = {
      ...ALEXNET_TORCHVISION,
      convs: ALEXNET_TORCHVISION.convs.map((c) => ({ ...c, out: 4 })),
      hidden: [8],
    };
    const model = new AlexNet(small, { numClasses: 2, seed: 1 });
    const file = await readWeights(await serializeWeights(model));
    model.dispose();
    expect(file.metadata.preprocessing).toEqual(IMAGENET_PREPROCESSING);
    expect(evalTransforms(file.metadata.preprocessing, { size: 227 })).toEqual(torchvisionEval(227));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names the missing or wrong field of a preprocessing from a file', () => {
    expect(() => evalTransforms(undefined)).toThrow(/no preprocessing given .*model\.preprocessing/);
    const bad = (patch: object) => evalTransforms({ ...IMAGENET_PREPROCESSING, ...patch } as never);
    expect(() => bad({ resize: '256' })).toThrow(
      'evalTransforms: preprocessing.resize must be a positive integer, got "256"',
    );
    expect(() => bad({ crop: 0 })).toThrow('preprocessing.crop must be a positive integer, got 0');
    expect(() => bad({ interpolation: 'lanczos' })).toThrow(
      'preprocessing.interpolation must be one of bilinear, bicubic, nearest, got "lanczos"',
    );
    expect(() => bad({ mean: [0.5, 0.5] })).toThrow(
      'preprocessing.mean must be three numbers (R, G, B), got [0.5,0.5]',
    );
    expect(() => bad({ std: [0.2, 0, 0.2] })).toThrow('preprocessing.std must be three positive numbers');
    expect(() => evalTransforms(IMAGENET_PREPROCESSING, { size: 22.5 })).toThrow(
      'evalTransforms: size must be a positive integer, got 22.5',
    );
  });

  it("uses @alexnet/models' ImageNet mean and std, the one definition", () => {
    expect(IMAGENET_MEAN).toBe(MODELS_MEAN);
    expect(IMAGENET_STD).toBe(MODELS_STD);
    expect(Normalize()).toEqual({ type: 'normalize', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
  });
});
