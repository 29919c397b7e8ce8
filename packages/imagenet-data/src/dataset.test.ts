import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDataset, subset } from './dataset.js';
import { writeSyntheticDataset } from './synth.js';

const tmp = mkdtempSync(join(tmpdir(), 'alexnet-data-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const root = join(tmp, 'synth');
beforeAll(async () => {
  await writeSyntheticDataset(root, { classes: 3, trainPerClass: 5, valPerClass: 2 });
});

const touch = (path: string) => {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, 'x');
};

describe('openDataset', () => {
  it('reads class folders in sorted order, with names from LOC_synset_mapping.txt', () => {
    const train = openDataset(join(root, 'train'));
    expect(train.layout).toBe('class-folders');
    expect(train.classes).toEqual(['n90000001', 'n90000002', 'n90000003']);
    expect(train.classNames).toEqual(['circle', 'square', 'triangle']);
    expect(train.samples).toHaveLength(15);
    expect(train.samples[0]).toEqual({ path: join(root, 'train', 'n90000001', 'n90000001_1.JPEG'), label: 0 });
    expect(openDataset(root).samples).toEqual(train.samples); // an ImageNet root opens its train split
  });

  it('labels a flat validation folder from LOC_val_solution.csv', () => {
    const val = openDataset(join(root, 'val'));
    expect(val.layout).toBe('flat-loc-csv');
    expect(val.samples).toHaveLength(6);
    expect(val.samples.map((s) => s.label)).toEqual([0, 1, 2, 0, 1, 2]);
  });

  it('orders plain class folders alphabetically and takes an explicit class list', () => {
    const dir = join(tmp, 'pets');
    for (const f of ['dogs/a.jpg', 'cats/b.PNG', 'cats/c.webp', 'birds/notes.txt', 'cats/.hidden/x.jpg'])
      touch(join(dir, f));
    const pets = openDataset(dir);
    expect(pets.classes).toEqual(['cats', 'dogs']);
    expect(pets.classNames).toBeNull();
    expect(pets.samples.map((s) => [s.path.slice(dir.length + 1), s.label])).toEqual([
      ['cats/b.PNG', 0],
      ['cats/c.webp', 0],
      ['dogs/a.jpg', 1],
    ]);
    expect(openDataset(dir, { classes: ['dogs', 'cats'] }).samples.map((s) => s.label)).toEqual([0, 1, 1]);
    expect(() => openDataset(dir, { classes: ['dogs'] })).toThrow(/class folders missing from the class list: cats/);
  });

  it("labels a flat validation folder from the devkit's ground truth and meta.mat (ILSVRC ids to wnids)", () => {
    // scripts/fixtures/devkit_meta.py: ids 1-4 are n02119789, n02100735, n01751748, n01440764 (not wnid order);
    // the ground truth labels images 1-6 with ids 3, 1, 4, 2, 3, 1.
    const fixtures = new URL('../fixtures/devkit/', import.meta.url).pathname;
    for (const [meta, where] of [
      ['meta.mat', 'beside the folder'],
      ['meta-uncompressed.mat', 'in ILSVRC2012_devkit_t12/data/'],
    ]) {
      const root = join(tmp, `devkit-${meta}`);
      const data = where === 'beside the folder' ? root : join(root, 'ILSVRC2012_devkit_t12', 'data');
      mkdirSync(data, { recursive: true });
      copyFileSync(join(fixtures, meta), join(data, 'meta.mat'));
      copyFileSync(
        join(fixtures, 'ILSVRC2012_validation_ground_truth.txt'),
        join(data, 'ILSVRC2012_validation_ground_truth.txt'),
      );
      for (const n of [1, 2, 3, 4, 5, 6]) touch(join(root, 'val', `ILSVRC2012_val_0000000${n}.JPEG`));
      const dataset = openDataset(join(root, 'val'));
      expect(dataset.layout).toBe('flat-devkit');
      // The leaves in wnid order (the parent synset, n00001740, is not a class), with the devkit's names.
      expect(dataset.classes).toEqual(['n01440764', 'n01751748', 'n02100735', 'n02119789']);
      expect(dataset.classNames).toEqual([
        'tench, Tinca tinca',
        'sea snake',
        'English setter',
        'kit fox, Vulpes macrotis',
      ]);
      expect(dataset.samples.map((s) => dataset.classes[s.label])).toEqual([
        'n01751748',
        'n02119789',
        'n01440764',
        'n02100735',
        'n01751748',
        'n02119789',
      ]);
      touch(join(root, 'val', 'ILSVRC2012_val_00000007.JPEG'));
      expect(() => openDataset(join(root, 'val'))).toThrow(/gives no known class for 1 image\(s\).*val_00000007/);
    }
    const badId = join(tmp, 'devkit-bad-id');
    mkdirSync(badId, { recursive: true });
    copyFileSync(join(fixtures, 'meta.mat'), join(badId, 'meta.mat'));
    writeFileSync(join(badId, 'ILSVRC2012_validation_ground_truth.txt'), '1\n999\n');
    touch(join(badId, 'val', 'ILSVRC2012_val_00000001.JPEG'));
    expect(() => openDataset(join(badId, 'val'))).toThrow(/ground_truth\.txt:2: ILSVRC id "999" is not in .*meta\.mat/);
    writeFileSync(join(badId, 'meta.mat'), 'not a mat file');
    expect(() => openDataset(join(badId, 'val'))).toThrow(/meta\.mat is not a MATLAB 5 MAT file/);
  });

  it('says what is missing', () => {
    expect(() => openDataset(join(tmp, 'nope'))).toThrow(/Dataset folder not found: .*nope/);
    mkdirSync(join(tmp, 'empty'));
    expect(() => openDataset(join(tmp, 'empty'))).toThrow(/has no images: expected class folders/);
    touch(join(tmp, 'flat', 'a.JPEG'));
    expect(() => openDataset(join(tmp, 'flat'))).toThrow(
      /neither LOC_val_solution\.csv nor the devkit's ILSVRC2012_validation_ground_truth\.txt beside it/,
    );
    touch(join(tmp, 'devkit', 'val', 'ILSVRC2012_val_00000001.JPEG'));
    writeFileSync(join(tmp, 'devkit', 'ILSVRC2012_validation_ground_truth.txt'), '65\n');
    expect(() => openDataset(join(tmp, 'devkit', 'val'))).toThrow(
      /labels images by ILSVRC id, which needs the devkit's meta\.mat beside it \(.*devkit\/meta\.mat\)/,
    );
    const csvRoot = join(tmp, 'csv');
    touch(join(csvRoot, 'val', 'ILSVRC2012_val_00000009.JPEG'));
    writeFileSync(
      join(csvRoot, 'LOC_val_solution.csv'),
      'ImageId,PredictionString\nILSVRC2012_val_00000001,n1 0 0 1 1\n',
    );
    writeFileSync(join(csvRoot, 'LOC_synset_mapping.txt'), 'n1 thing\n');
    expect(() => openDataset(join(csvRoot, 'val'))).toThrow(
      /gives no known class for 1 image\(s\).*ILSVRC2012_val_00000009\.JPEG/,
    );
  });
});

describe('subset', () => {
  it('keeps the first N classes, M images a class, or a seeded sample', () => {
    const train = openDataset(join(root, 'train'));
    const two = subset(train, { classes: 2 });
    expect(two.classes).toEqual(['n90000001', 'n90000002']);
    expect(two.samples).toHaveLength(10);
    const perClass = subset(train, { perClass: 2 });
    expect(perClass.samples.map((s) => s.path.split('/').at(-1))).toEqual([
      'n90000001_1.JPEG',
      'n90000001_2.JPEG',
      'n90000002_1.JPEG',
      'n90000002_2.JPEG',
      'n90000003_1.JPEG',
      'n90000003_2.JPEG',
    ]);
    const a = subset(train, { sample: 4, seed: 3 });
    expect(a.samples).toHaveLength(4);
    expect(subset(train, { sample: 4, seed: 3 }).samples).toEqual(a.samples);
    expect(subset(train, { sample: 4, seed: 4 }).samples).not.toEqual(a.samples);
  });
});
