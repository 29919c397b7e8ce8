import { RandomGenerator } from '@alexnet/layers';
import { describe, expect, it } from 'vitest';
import { planWindows, splitPipeline } from './plan-windows.js';
import {
  CenterCrop,
  ColorJitter,
  Normalize,
  PcaLighting,
  paperEval,
  paperTrain,
  RandomCrop,
  RandomHorizontalFlip,
  Resize,
  TenCrop,
  type Transform,
  torchvisionTrain,
} from './transforms.js';

/** How many transforms of a pipeline run as steps, whether its Resize is set apart, how many the one pass does. */
const cut = (transforms: Transform[]) => {
  const { steps, resize, windowed } = splitPipeline(transforms);
  return [steps.length, resize !== null, windowed.length];
};

describe('splitPipeline', () => {
  it('leaves no steps in the usual pipelines, their Resize set apart', () => {
    expect(cut(paperTrain())).toEqual([0, true, 5]);
    expect(cut(paperEval())).toEqual([0, true, 3]);
    expect(cut([Resize(24)])).toEqual([0, true, 0]);
    expect(cut([])).toEqual([0, false, 0]);
  });

  it('runs what the one pass cannot do as steps, and a Resize that does not start the pipeline with them', () => {
    expect(cut(torchvisionTrain())).toEqual([1, false, 2]);
    expect(cut([Resize(30), Resize(20), CenterCrop(10)])).toEqual([2, false, 1]);
    expect(cut([Resize(30), ColorJitter({}), Normalize()])).toEqual([2, false, 1]);
  });

  it('takes crops and flips, then one TenCrop or PcaLighting, then one Normalize', () => {
    expect(cut([RandomCrop(9), CenterCrop(8), RandomHorizontalFlip(), TenCrop(4), Normalize()])).toEqual([0, false, 5]);
    expect(cut([PcaLighting(), RandomCrop(9), Normalize()])).toEqual([1, false, 2]);
    expect(cut([TenCrop(9), PcaLighting()])).toEqual([1, false, 1]);
    expect(cut([Normalize(), Normalize()])).toEqual([1, false, 1]);
    expect(cut([Normalize(), RandomCrop(9)])).toEqual([1, false, 1]);
  });
});

describe('planWindows', () => {
  it("plans TenCrop's windows on the resized size, before any pixel is resized", () => {
    const image = { data: new Uint8Array(0), height: 375, width: 500 };
    const plan = planWindows(image, splitPipeline(paperEval()), new RandomGenerator(0));
    expect(plan.resize).toEqual({ height: 256, width: 341, interpolation: 'bilinear' });
    expect(plan.windows.map((w) => [w.top, w.left, w.height, w.width, w.flipped])).toEqual([
      [0, 42, 224, 224, false],
      [0, 74, 224, 224, false],
      [32, 42, 224, 224, false],
      [32, 74, 224, 224, false],
      [16, 58, 224, 224, false],
      [0, 74, 224, 224, true],
      [0, 42, 224, 224, true],
      [32, 74, 224, 224, true],
      [32, 42, 224, 224, true],
      [16, 58, 224, 224, true],
    ]);
  });
});
