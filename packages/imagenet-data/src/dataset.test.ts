import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDataset, openSplits, subset } from './dataset.js';
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

describe('what openDataset reports', () => {
  const quiet = { onWarning: () => {} };

  it('warns of class folders without images, images in no class and folders the synset mapping lacks', () => {
    const dir = join(tmp, 'odd-classes');
    for (const f of ['n1/a.JPEG', 'n2/b.JPEG', 'n2/more/e.JPEG', 'n3/nested/c.JPEG', 'n9/d.JPEG', 'stray.JPEG']) {
      touch(join(dir, f));
    }
    mkdirSync(join(dir, 'n2', 'folder.JPEG'));
    mkdirSync(join(dir, 'n4'));
    writeFileSync(join(dir, 'LOC_synset_mapping.txt'), 'n1 one\nn2 two\nn3 three\nn4 four\n');
    const warnings: string[] = [];
    const dataset = openDataset(dir, { onWarning: (w) => warnings.push(w) });
    expect(dataset.classes).toEqual(['n1', 'n2']);
    expect(warnings).toEqual([
      `${dir}: 1 class folder(s) not in ${join(dir, 'LOC_synset_mapping.txt')}, left out: n9`,
      `${join(dir, 'n2')}: 2 subfolder(s) of a class folder, not read: folder.JPEG, more`,
      `${join(dir, 'n3')}: a class folder with no images (only in its subfolders, which are not read): left out of the classes`,
      `${join(dir, 'n4')}: a class folder with no images: left out of the classes`,
      `${dir}: 1 image(s) beside the class folders, in no class, are left out: stray.JPEG`,
    ]);
    expect(dataset.warnings).toEqual(warnings);
    // With an explicit class list, an empty folder's class keeps its index, without samples.
    const listed = openDataset(dir, { classes: ['n1', 'n2', 'n3', 'n4', 'n9'], onWarning: () => {} });
    expect(listed.warnings?.find((w) => w.includes('n4'))).toMatch(/: class 3 has no samples$/);
  });

  it('reads LOC_val_solution.csv strictly: repeated rows and junk rows are warnings, a relabelled image an error', () => {
    const dir = join(tmp, 'csv-rows');
    for (const n of [1, 2, 3]) touch(join(dir, 'val', `ILSVRC2012_val_0000000${n}.JPEG`));
    writeFileSync(join(dir, 'LOC_synset_mapping.txt'), 'n01 one\nn02 two\n');
    const csv = join(dir, 'LOC_val_solution.csv');
    writeFileSync(
      csv,
      [
        'ImageId,PredictionString',
        'ILSVRC2012_val_00000001,n01 1 2 3 4',
        'ILSVRC2012_val_00000002,n02 1 2 3 4 n02 5 6 7 8',
        'ILSVRC2012_val_00000001,n01 9 9 9 9',
        'garbage without a comma',
        ',n01 1 2 3 4',
        'ILSVRC2012_val_00000003,',
        'ILSVRC2012_val_00000003,n02 0 0 1 1',
        '',
      ].join('\n'),
    );
    const warnings: string[] = [];
    const val = openDataset(join(dir, 'val'), { onWarning: (w) => warnings.push(w) });
    expect(val.samples.map((s) => s.label)).toEqual([0, 1, 1]);
    expect(warnings).toEqual([
      `${csv}: 1 row(s) repeat an image with the same label, at line 4 (ILSVRC2012_val_00000001, as at line 2)`,
      `${csv}: 3 row(s) without an image id and a class (ImageId,PredictionString), ignored: line 5, 6, 7`,
    ]);
    writeFileSync(
      csv,
      'ImageId,PredictionString\nILSVRC2012_val_00000001,n01 1\nILSVRC2012_val_00000002,n02 1\nILSVRC2012_val_00000003,n01 1\nILSVRC2012_val_00000001,n02 1\n',
    );
    expect(() => openDataset(join(dir, 'val'), quiet)).toThrow(
      `${csv}:5: ILSVRC2012_val_00000001 is labelled n02 here but n01 at line 2: which is right?`,
    );
  });

  it('opens every split of an ImageNet root: val with the classes of train, a flat test/ without labels', () => {
    const dir = join(tmp, 'splits');
    const synth = join(root);
    for (const f of ['train/n1/a.JPEG', 'train/n2/b.JPEG', 'val/n2/c.JPEG', 'test/x.JPEG', 'test/y.JPEG']) {
      touch(join(dir, f));
    }
    const splits = openSplits(dir, quiet);
    expect(splits?.map((s) => s.name)).toEqual(['train', 'val', 'test']);
    const [train, val, test] = (splits ?? []).map((s) => ('dataset' in s ? s.dataset : null));
    expect(train?.classes).toEqual(['n1', 'n2']);
    expect(val?.samples.map((s) => s.label)).toEqual([1]);
    expect(test?.layout).toBe('flat-unlabelled');
    expect(test?.samples.map((s) => s.label)).toEqual([-1, -1]);
    // The synthetic set: a flat val/ labelled by its CSV.
    expect(openSplits(synth, quiet)?.map((s) => ('dataset' in s ? [s.name, s.dataset.layout] : s.error))).toEqual([
      ['train', 'class-folders'],
      ['val', 'flat-loc-csv'],
    ]);
    // A split that cannot be opened gives its error; a folder that is no root gives null.
    touch(join(dir, 'val', 'n7', 'd.JPEG'));
    expect(openSplits(dir, quiet)?.[1]).toEqual({
      name: 'val',
      error: expect.objectContaining({
        message: expect.stringMatching(/class folders missing from the class list: n7/),
      }),
    });
    expect(openSplits(join(dir, 'train'), quiet)).toBeNull();
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
