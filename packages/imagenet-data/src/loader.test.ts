import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDataset } from './check.js';
import { openDataset } from './dataset.js';
import { loadImage } from './load-image.js';
import { type BadFile, ImageLoader } from './loader.js';
import { writeSyntheticDataset } from './synth.js';
import { CenterCrop, Normalize, RandomHorizontalFlip, RandomResizedCrop, Resize, TenCrop } from './transforms.js';
import { liveWorkerThreads } from './worker-pool.js';

const tmp = mkdtempSync(join(tmpdir(), 'alexnet-loader-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const root = join(tmp, 'synth');
const defects = join(tmp, 'defects');
const transforms = [RandomResizedCrop(24, { scale: [0.5, 1] }), RandomHorizontalFlip(), Normalize()];

/** One class of good images and one of every defect ImageNet is known for (and some it is not). */
async function writeDefects(): Promise<Record<string, string>> {
  const good = join(defects, 'good');
  const odd = join(defects, 'odd');
  mkdirSync(good, { recursive: true });
  mkdirSync(odd, { recursive: true });
  const base = sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 200, g: 30, b: 60 } } });
  for (let i = 0; i < 4; i++)
    await base
      .clone()
      .jpeg()
      .toFile(join(good, `g${i}.JPEG`));
  const files = {
    cmyk: join(odd, 'cmyk.JPEG'),
    grey: join(odd, 'grey.JPEG'),
    png: join(odd, 'png_named.JPEG'),
    rotated: join(odd, 'rotated.JPEG'),
    empty: join(odd, 'empty.JPEG'),
    truncated: join(odd, 'truncated.JPEG'),
    text: join(odd, 'text.JPEG'),
  };
  await base.clone().toColourspace('cmyk').jpeg().toFile(files.cmyk);
  await base.clone().toColourspace('b-w').jpeg().toFile(files.grey);
  await base.clone().png().toFile(files.png);
  await base.clone().jpeg().withMetadata({ orientation: 6 }).toFile(files.rotated);
  writeFileSync(files.empty, '');
  const jpeg = await base.clone().jpeg().toBuffer();
  writeFileSync(files.truncated, jpeg.subarray(0, Math.floor(jpeg.length / 2)));
  writeFileSync(files.text, 'this is not an image');
  return files;
}

let files: Record<string, string>;
beforeAll(async () => {
  await writeSyntheticDataset(root, { classes: 3, trainPerClass: 7, valPerClass: 1 });
  files = await writeDefects();
});

async function collect(loader: ImageLoader, epoch: number) {
  const out: Array<{ images: number[]; labels: number[]; paths: string[] }> = [];
  for await (const batch of loader.epoch(epoch)) {
    out.push({
      images: Array.from(batch.images.dataSync()),
      labels: Array.from(batch.labels.dataSync()),
      paths: batch.paths,
    });
    tf.dispose([batch.images, batch.labels]);
  }
  return out;
}

describe('ImageLoader', () => {
  it('gives identical batches for the same seed and epoch whatever the number of workers', async () => {
    const dataset = openDataset(join(root, 'train'));
    const loaders = [0, 1, 2].map(
      (workers) => new ImageLoader(dataset, { batchSize: 4, transforms, workers, seed: 7 }),
    );
    const runs = await Promise.all(loaders.map((loader) => collect(loader, 3)));
    expect(liveWorkerThreads()).toBe(3); // kept for the next epoch
    expect(await collect(loaders[2], 3)).toEqual(runs[0]);
    await Promise.all(loaders.map((loader) => loader.close()));
    expect(runs[0]).toHaveLength(6);
    expect(runs[0].at(-1)?.labels).toHaveLength(1);
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).toEqual(runs[0]);
    const other = await collect(new ImageLoader(dataset, { batchSize: 4, transforms, workers: 0, seed: 7 }), 4);
    expect(other.map((b) => b.paths)).not.toEqual(runs[0].map((b) => b.paths));
    expect(other.flatMap((b) => b.paths).sort()).toEqual(runs[0].flatMap((b) => b.paths).sort());
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(liveWorkerThreads()).toBe(0);
  });

  it('drops the short last batch on request and keeps file order without shuffling', async () => {
    const dataset = openDataset(join(root, 'train'));
    const loader = new ImageLoader(dataset, {
      batchSize: 4,
      transforms: [Resize(28), CenterCrop(24)],
      shuffle: false,
      dropLast: true,
      workers: 0,
    });
    const batches = await collect(loader, 1);
    expect(loader.batchesPerEpoch).toBe(5);
    expect(batches.map((b) => b.labels.length)).toEqual([4, 4, 4, 4, 4]);
    expect(batches.flatMap((b) => b.paths)).toEqual(dataset.samples.slice(0, 20).map((s) => s.path));
  });

  it('stops its workers when the consumer leaves early', async () => {
    const loader = new ImageLoader(openDataset(join(root, 'train')), {
      batchSize: 2,
      transforms,
      workers: 2,
      prefetch: 3,
    });
    for await (const batch of loader.epoch(1)) {
      expect(liveWorkerThreads()).toBe(2);
      tf.dispose([batch.images, batch.labels]);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(liveWorkerThreads()).toBe(0);
  });

  it('puts every crop of TenCrop in the batch, one label per image', async () => {
    const loader = new ImageLoader(openDataset(join(root, 'val')), {
      batchSize: 3,
      transforms: [Resize(32), TenCrop(24)],
      shuffle: false,
      workers: 0,
    });
    for await (const batch of loader.epoch(0)) {
      expect(batch.crops).toBe(10);
      expect(batch.images.shape).toEqual([30, 24, 24, 3]);
      expect(batch.labels.shape).toEqual([3]);
      tf.dispose([batch.images, batch.labels]);
    }
  });
});

describe('bad files', () => {
  it('decodes CMYK, greyscale, PNG named .JPEG and EXIF-rotated files to RGB', async () => {
    for (const name of ['cmyk', 'grey', 'png']) {
      const image = await loadImage(files[name], [], 0);
      expect([image.height, image.width, image.data.length], name).toEqual([30, 40, 30 * 40 * 3]);
      expect(image.data[0], name).toBeGreaterThan(0.1);
    }
    const rotated = await loadImage(files.rotated, [], 0);
    expect([rotated.height, rotated.width]).toEqual([40, 30]);
  });

  it("'substitute' reports each bad file once with its reason and fills the batch from the next samples", async () => {
    for (const workers of [0, 2]) {
      const reported: BadFile[] = [];
      const loader = new ImageLoader(openDataset(defects), {
        batchSize: 11,
        transforms: [Resize(20), CenterCrop(16)],
        workers,
        badFiles: 'substitute',
        onBadFile: (f) => reported.push(f),
      });
      const [batch] = await collect(loader, 1);
      await loader.close();
      expect(batch.labels).toHaveLength(11);
      expect(batch.paths.filter((p) => /empty|truncated|text/.test(p))).toEqual([]);
      expect(reported.map((f) => f.path.split('/').at(-1)).sort()).toEqual([
        'empty.JPEG',
        'text.JPEG',
        'truncated.JPEG',
      ]);
      expect(reported.find((f) => f.path.endsWith('empty.JPEG'))?.reason).toMatch(/empty|unsupported/i);
      expect(reported.find((f) => f.path.endsWith('truncated.JPEG'))?.reason).toMatch(
        /premature end|truncated|corrupt/i,
      );
      expect(reported.find((f) => f.path.endsWith('text.JPEG'))?.reason).toMatch(/unsupported image format/);
      expect(loader.badFiles).toEqual(reported);
    }
  });

  it("'error' stops with the file and the reason", async () => {
    const loader = new ImageLoader(openDataset(defects), {
      batchSize: 11,
      transforms: [Resize(20), CenterCrop(16)],
      workers: 1,
      badFiles: 'error',
    });
    await expect(collect(loader, 1)).rejects.toThrow(/Cannot read .*(empty|truncated|text)\.JPEG: /);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(liveWorkerThreads()).toBe(0);
  });

  it('checkDataset counts classes and sizes and lists notes and bad files', async () => {
    const report = await checkDataset(openDataset(defects));
    expect(report.perClass).toEqual([
      { id: 'good', name: null, count: 4 },
      { id: 'odd', name: null, count: 7 },
    ]);
    expect(report.bad.map((b) => b.path.split('/').at(-1))).toEqual(['empty.JPEG', 'text.JPEG', 'truncated.JPEG']);
    expect(report.notes.cmyk.map((p) => p.split('/').at(-1))).toEqual(['cmyk.JPEG']);
    expect(report.notes.greyscale.map((p) => p.split('/').at(-1))).toEqual(['grey.JPEG']);
    expect(report.notes.misnamed).toEqual([{ path: files.png, format: 'png' }]);
    expect(report.formats).toEqual({ jpeg: 7, png: 1 });
    expect(report.sizes).toMatchObject({ minWidth: 30, maxWidth: 40, minHeight: 30, maxHeight: 40 });
  });
});

it('the synthetic dataset is the same for the same seed', async () => {
  const again = join(tmp, 'again');
  await writeSyntheticDataset(again, { classes: 3, trainPerClass: 7, valPerClass: 1 });
  const a = readFileSync(join(root, 'train', 'n90000002', 'n90000002_3.JPEG'));
  expect(readFileSync(join(again, 'train', 'n90000002', 'n90000002_3.JPEG')).equals(a)).toBe(true);
  copyFileSync(join(again, 'LOC_val_solution.csv'), join(tmp, 'copy.csv'));
  expect(readFileSync(join(tmp, 'copy.csv'), 'utf8')).toMatch(
    /^ImageId,PredictionString\nILSVRC2012_val_00000001,n90000001 /,
  );
});
