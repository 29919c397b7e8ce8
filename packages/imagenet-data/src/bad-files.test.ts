import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import sharp, { type Sharp } from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BadImageError } from './bad-image.js';
import { checkDataset } from './check.js';
import { type ImageDataset, openDataset } from './dataset.js';
import { loadImage } from './load-image.js';
import { type BadFile, ImageLoader, type LoadedBatch, maxUsefulWorkers } from './loader.js';
import { CenterCrop, RandomCrop, Resize } from './transforms.js';
import { liveWorkerThreads } from './worker-pool.js';

const tmp = mkdtempSync(join(tmpdir(), 'alexnet-bad-files-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const transforms = [Resize(20), CenterCrop(16)];

/** A small noisy image (so that its JPEG has scan data worth cutting). */
function noisy(width = 64, height = 48): Sharp {
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7919) % 251;
  return sharp(data, { raw: { width, height, channels: 3 } });
}

/** A JPEG of 16 x 16 pixels whose frame header declares `width` x `height`: a few hundred bytes. */
async function jpegDeclaring(width: number, height: number): Promise<Buffer> {
  const jpeg = await noisy(16, 16).jpeg().toBuffer();
  for (let offset = 2; offset + 4 < jpeg.length; offset += 2 + jpeg.readUInt16BE(offset + 2)) {
    if (jpeg[offset + 1] === 0xc0 || jpeg[offset + 1] === 0xc2) {
      jpeg.writeUInt16BE(height, offset + 5);
      jpeg.writeUInt16BE(width, offset + 7);
      return jpeg;
    }
  }
  throw new Error('no frame header');
}

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A valid 1-bit PNG of side x side black pixels: 13,380 x 13,380 (179 million pixels) is 22 KB. */
function pngBomb(side: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header[8] = 1; // bit depth 1, colour type 0 (grey), deflate, no filter, no interlace
  const rows = deflateSync(Buffer.alloc((1 + Math.ceil(side / 8)) * side), { level: 9 });
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([
    signature,
    pngChunk('IHDR', header),
    pngChunk('IDAT', rows),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

const root = join(tmp, 'mixed');
const file = (name: string) => join(root, 'bad', name);
/** What every bad file of the mixed set must be reported as, on every run, in every thread, by loader and check. */
let expected: Record<string, string | RegExp>;

beforeAll(async () => {
  mkdirSync(join(root, 'good'), { recursive: true });
  mkdirSync(join(root, 'bad'), { recursive: true });
  for (let i = 0; i < 6; i++)
    await noisy(40 + i, 30)
      .jpeg()
      .toFile(join(root, 'good', `g${i}.JPEG`));
  const jpeg = await noisy().jpeg().toBuffer();
  const png = await noisy().png().toBuffer();
  const cut = Math.floor(jpeg.length * 0.8);
  writeFileSync(file('truncated.JPEG'), jpeg.subarray(0, cut));
  writeFileSync(file('cut-header.JPEG'), jpeg.subarray(0, 100));
  writeFileSync(file('truncated.png'), png.subarray(0, 200));
  writeFileSync(file('png-named.JPEG'), png.subarray(0, 200));
  writeFileSync(file('text.JPEG'), 'this is not an image');
  writeFileSync(file('empty.JPEG'), '');
  writeFileSync(file('bomb.JPEG'), await jpegDeclaring(16000, 16000));
  writeFileSync(file('bomb.png'), pngBomb(13380));
  symlinkSync(join(tmp, 'nowhere.JPEG'), file('dangling.JPEG'));
  execFileSync('mkfifo', [file('fifo.JPEG')]);
  const pngTruncated = 'truncated PNG: the IDAT chunk at byte 54 runs past the end of the file (200 bytes)';
  expected = {
    'truncated.JPEG': `truncated JPEG: the data stops after ${cut} bytes, before the end-of-image marker`,
    'cut-header.JPEG': /^truncated JPEG: the file ends \(100 bytes\) inside marker 0xdb at byte \d+$/,
    'truncated.png': pngTruncated,
    'png-named.JPEG': pngTruncated,
    'text.JPEG': 'unsupported image format: no image signature (the file starts with 74 68 69 73 20 69 73 20)',
    'empty.JPEG': 'empty file (0 bytes)',
    'bomb.JPEG':
      'JPEG declares 16000x16000 = 256,000,000 pixels, over the limit of 178,956,970 (a decompression bomb? raise maxImagePixels to read it)',
    'bomb.png':
      'PNG declares 13380x13380 = 179,024,400 pixels, over the limit of 178,956,970 (a decompression bomb? raise maxImagePixels to read it)',
    'dangling.JPEG': `dangling symbolic link to ${join(tmp, 'nowhere.JPEG')}`,
    'fifo.JPEG': 'a FIFO (named pipe), not a regular file',
  };
});

const byName = (files: BadFile[]) =>
  Object.fromEntries(files.map((f) => [f.path.split('/').at(-1) as string, f.reason]).sort());

/** Every batch of an epoch (the caller disposes their tensors). */
async function drain(loader: ImageLoader, epoch: number): Promise<LoadedBatch[]> {
  const batches: LoadedBatch[] = [];
  for await (const batch of loader.epoch(epoch)) batches.push(batch);
  return batches;
}

/** The samples of `dataset` in folder `name` only. */
function only(dataset: ImageDataset, name: string): ImageDataset {
  return { ...dataset, samples: dataset.samples.filter((s) => s.path.includes(`/${name}/`)) };
}

describe('decompression bombs', () => {
  it('refuses an image over 178,956,970 pixels from its header, fast, naming the file', async () => {
    for (const name of ['bomb.JPEG', 'bomb.png']) {
      const started = performance.now();
      const error = await loadImage(file(name), transforms, 0).catch((e: unknown) => e);
      expect(error, name).toBeInstanceOf(BadImageError);
      expect((error as BadImageError).message).toBe(`${file(name)}: ${expected[name]}`);
      expect(performance.now() - started, name).toBeLessThan(1000);
    }
  });

  it('takes its limit from maxImagePixels (loadImage, loader, check); above it, not at it', async () => {
    const good = join(root, 'good', 'g0.JPEG'); // 40 x 30 = 1,200 pixels
    const png = join(tmp, 'small.png');
    await noisy(40, 30).png().toFile(png);
    await expect(loadImage(good, transforms, 0, { maxImagePixels: 1200 })).resolves.toBeDefined();
    await expect(loadImage(good, transforms, 0, { maxImagePixels: 1199 })).rejects.toThrow(
      `${good}: JPEG declares 40x30 = 1,200 pixels, over the limit of 1,199`,
    );
    // Not a JPEG: libvips refuses it from its header.
    await expect(loadImage(png, transforms, 0, { maxImagePixels: 1000 })).rejects.toThrow(
      `${png}: PNG declares 40x30 = 1,200 pixels, over the limit of 1,000`,
    );
    await expect(loadImage(good, transforms, 0, { maxImagePixels: 0 })).rejects.toThrow(/maxImagePixels must be/);
    const dataset = only(openDataset(root), 'good');
    const reported: BadFile[] = [];
    const loader = new ImageLoader(dataset, {
      batchSize: 8,
      transforms,
      workers: 1,
      maxImagePixels: 1240, // g0 and g1 are 40 and 41 pixels wide, 30 high; g2 (1,260 pixels) and on are over
      onBadFile: (f) => reported.push(f),
    });
    const batches = await drain(loader, 0);
    await loader.close();
    expect(batches.flatMap((b) => b.paths.map((p) => p.split('/').at(-1))).sort()).toEqual(['g0.JPEG', 'g1.JPEG']);
    expect(reported.map((f) => f.reason)).toHaveLength(4);
    tf.dispose(batches.flatMap((b) => [b.images, b.labels]));
    const report = await checkDataset(dataset, { maxImagePixels: 1240 });
    expect(report.bad.map((b) => b.path.split('/').at(-1))).toEqual(['g2.JPEG', 'g3.JPEG', 'g4.JPEG', 'g5.JPEG']);
    expect(() => new ImageLoader(dataset, { batchSize: 2, transforms, maxImagePixels: -1 })).toThrow(RangeError);
  });
});

describe('bad-file reasons', () => {
  it('are the same on every run, with any number of workers, and from checkDataset, and about the file', async () => {
    const dataset = openDataset(root);
    const runs: Array<Record<string, string>> = [];
    for (const workers of [0, 1, 3]) {
      for (const epoch of [1, 2]) {
        const reported: BadFile[] = [];
        const loader = new ImageLoader(dataset, {
          batchSize: 4,
          transforms,
          workers,
          onBadFile: (f) => reported.push(f),
        });
        const batches = await drain(loader, epoch);
        await loader.close();
        tf.dispose(batches.flatMap((b) => [b.images, b.labels]));
        expect(batches.reduce((n, b) => n + b.paths.length, 0)).toBe(6);
        runs.push(byName(reported));
      }
    }
    for (const check of [await checkDataset(dataset), await checkDataset(dataset, { concurrency: 2 })]) {
      runs.push(byName(check.bad));
    }
    for (const run of runs) expect(run).toEqual(runs[0]);
    expect(Object.keys(runs[0]).sort()).toEqual(Object.keys(expected).sort());
    for (const [name, reason] of Object.entries(expected)) {
      if (typeof reason === 'string') expect(runs[0][name], name).toBe(reason);
      else expect(runs[0][name], name).toMatch(reason);
    }
    // Without decoding, the header is read: the bombs and non-files are still found, truncated data is not.
    const headers = byName((await checkDataset(dataset, { decode: false })).bad);
    for (const name of ['bomb.JPEG', 'bomb.png', 'dangling.JPEG', 'fifo.JPEG', 'empty.JPEG', 'text.JPEG']) {
      expect(headers[name], name).toBe(runs[0][name]);
    }
  });
});

describe("badFiles 'skip' and 'substitute'", () => {
  const set = join(tmp, 'counted');
  beforeAll(async () => {
    mkdirSync(join(set, 'a'), { recursive: true });
    mkdirSync(join(set, 'b'), { recursive: true });
    for (let i = 0; i < 4; i++)
      await noisy(32, 32)
        .jpeg()
        .toFile(join(set, 'a', `g${i}.JPEG`));
    writeFileSync(join(set, 'b', 'empty.JPEG'), '');
    writeFileSync(join(set, 'b', 'text.JPEG'), 'not an image');
    writeFileSync(join(set, 'b', 'z-empty.JPEG'), '');
  });

  it("'skip' leaves bad files out of their batch and counts them, even where a batch holds only bad files", async () => {
    const before = tf.memory().numTensors;
    for (const workers of [0, 2]) {
      const loader = new ImageLoader(openDataset(set), {
        batchSize: 3,
        transforms,
        shuffle: false,
        workers,
        onBadFile: () => {},
      });
      const batches = await drain(loader, 0);
      await loader.close();
      // [g0 g1 g2] [g3 empty text] [z-empty]: the last holds no image, and ends the epoch carrying its count.
      expect(batches.map((b) => [b.paths.length, b.labels.shape[0], b.images.shape[0], b.skipped])).toEqual([
        [3, 3, 3, 0],
        [1, 1, 1, 2],
        [0, 0, 0, 1],
      ]);
      expect(batches.at(-1)?.images.shape).toEqual([0, 16, 16, 3]);
      expect(batches.every((b) => b.substituted === 0)).toBe(true);
      tf.dispose(batches.flatMap((b) => [b.images, b.labels]));
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it("'substitute' keeps batches full with the next good samples and counts the replacements", async () => {
    for (const workers of [0, 2]) {
      const loader = new ImageLoader(openDataset(set), {
        batchSize: 3,
        transforms,
        shuffle: false,
        workers,
        badFiles: 'substitute',
        onBadFile: () => {},
      });
      const batches = await drain(loader, 0);
      await loader.close();
      expect(batches.map((b) => [b.paths.length, b.substituted, b.skipped])).toEqual([
        [3, 0, 0],
        [3, 2, 0],
        [1, 1, 0],
      ]);
      tf.dispose(batches.flatMap((b) => [b.images, b.labels]));
    }
  });

  it('an epoch with no readable image is an error', async () => {
    const loader = new ImageLoader(only(openDataset(set), 'b'), {
      batchSize: 2,
      transforms,
      workers: 0,
      onBadFile: () => {},
    });
    await expect(drain(loader, 0)).rejects.toThrow(`None of the 3 images of ${set} can be read`);
  });
});

describe('failures that are no bad file', () => {
  it('stop the load, blaming no file, rather than reporting every file as bad', async () => {
    const set = join(tmp, 'no-bad-file');
    mkdirSync(join(set, 'a'), { recursive: true });
    for (const name of ['g0', 'g1'])
      await noisy(32, 32)
        .jpeg()
        .toFile(join(set, 'a', `${name}.JPEG`));
    // A crop larger than every image: each sample fails the same way, which says nothing about the files.
    for (const workers of [0, 1]) {
      const reported: BadFile[] = [];
      const loader = new ImageLoader(openDataset(set), {
        batchSize: 2,
        transforms: [RandomCrop(64)],
        shuffle: false,
        workers,
        badFiles: 'substitute',
        onBadFile: (file) => reported.push(file),
      });
      await expect(drain(loader, 0)).rejects.toThrow(
        /^Cannot load .*g0\.JPEG, though it is no bad file: RandomCrop\(64x64\) is larger than the 32x32 image/,
      );
      await loader.close();
      expect(reported).toEqual([]);
    }
  });
});

describe('worker threads', () => {
  it('starts at most 4 a core and one a sample in flight, saying so once', async () => {
    expect(maxUsefulWorkers(64, 2, 2)).toBe(8);
    expect(maxUsefulWorkers(2, 1, 16)).toBe(4);
    expect(maxUsefulWorkers(1, 0, 1)).toBe(1);
    const dataset = only(openDataset(root), 'good');
    const warnings: string[] = [];
    const running = liveWorkerThreads();
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    const loaders = [1, 2].map(
      () => new ImageLoader(dataset, { batchSize: 2, prefetch: 1, transforms, workers: 1000 }),
    );
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', onWarning);
    expect(loaders[0].options.workers).toBe(4);
    expect(warnings.filter((w) => w.startsWith('workers: 1000 asked for, 4 started'))).toHaveLength(1);
    for await (const batch of loaders[0].epoch(0)) {
      expect(liveWorkerThreads() - running).toBe(4);
      tf.dispose([batch.images, batch.labels]);
    }
    await loaders[0].close();
    const told: string[] = [];
    new ImageLoader(dataset, { batchSize: 1, prefetch: 0, transforms, workers: 3, onWarning: (m) => told.push(m) });
    expect(told).toEqual([expect.stringMatching(/^workers: 3 asked for, 1 started \(at most 4 a core on \d+ cores/)]);
    expect(() => new ImageLoader(dataset, { batchSize: 1, transforms, workers: -1 })).toThrow(/workers must be/);
    expect(() => new ImageLoader(dataset, { batchSize: 1, transforms, workers: 1.5 })).toThrow(/workers must be/);
  });
});
