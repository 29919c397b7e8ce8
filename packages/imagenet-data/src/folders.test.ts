import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BadImageError } from './bad-image.js';
import { checkDataset } from './check.js';
import { openDataset } from './dataset.js';
import { loadImage } from './load-image.js';
import { type BadFile, ImageLoader } from './loader.js';
import { readImageFile } from './read-file.js';
import { CenterCrop, Resize } from './transforms.js';

const tmp = mkdtempSync(join(tmpdir(), 'alexnet-folders-'));
const transforms = [Resize(20), CenterCrop(16)];
let server: Server;
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(tmp, { recursive: true, force: true });
});

const jpeg = () =>
  sharp({ create: { width: 24, height: 20, channels: 3, background: { r: 90, g: 20, b: 200 } } })
    .jpeg()
    .toBuffer();

/**
 * pets/: cats/ (an image, a link to an image elsewhere, a dangling link, a FIFO and a socket named as images),
 * dogs -> a class folder elsewhere, birds/ with no images, gone -> a folder that is not there.
 */
const pets = join(tmp, 'pets');
const elsewhere = join(tmp, 'elsewhere');
beforeAll(async () => {
  mkdirSync(join(pets, 'cats'), { recursive: true });
  mkdirSync(join(pets, 'birds'), { recursive: true });
  mkdirSync(join(elsewhere, 'dogs'), { recursive: true });
  writeFileSync(join(pets, 'cats', 'a.jpg'), await jpeg());
  writeFileSync(join(elsewhere, 'b.jpg'), await jpeg());
  writeFileSync(join(elsewhere, 'dogs', 'c.jpg'), await jpeg());
  writeFileSync(join(pets, 'birds', 'notes.txt'), 'no images here');
  symlinkSync(join(elsewhere, 'b.jpg'), join(pets, 'cats', 'linked.jpg'));
  symlinkSync(join(elsewhere, 'missing.jpg'), join(pets, 'cats', 'dangling.jpg'));
  symlinkSync(join(elsewhere, 'dogs'), join(pets, 'dogs'));
  symlinkSync(join(elsewhere, 'gone'), join(pets, 'gone'));
  execFileSync('mkfifo', [join(pets, 'cats', 'pipe.jpg')]);
  server = createServer();
  await new Promise<void>((resolve) => server.listen(join(pets, 'cats', 'socket.jpg'), resolve));
});

describe('links and files that are not files', () => {
  it('follows links to images and to class folders, and keeps non-files as samples to report', () => {
    const warnings: string[] = [];
    const dataset = openDataset(pets, { onWarning: (w) => warnings.push(w) });
    expect(dataset.classes).toEqual(['cats', 'dogs']);
    expect(dataset.samples.map((s) => [s.path.slice(pets.length + 1), s.label])).toEqual([
      ['cats/a.jpg', 0],
      ['cats/dangling.jpg', 0],
      ['cats/linked.jpg', 0],
      ['cats/pipe.jpg', 0],
      ['cats/socket.jpg', 0],
      ['dogs/c.jpg', 1],
    ]);
    expect(warnings).toEqual([
      `${join(pets, 'birds')}: a class folder with no images: left out of the classes`,
      `${join(pets, 'gone')}: a dangling symbolic link (a class folder that is gone?), ignored`,
    ]);
    expect(dataset.warnings).toEqual(warnings);
  });

  it('never opens a FIFO, socket or device for reading, and says what each path is', async () => {
    const cases: Array<[string, string]> = [
      [join(pets, 'cats', 'pipe.jpg'), 'a FIFO (named pipe), not a regular file'],
      [join(pets, 'cats', 'socket.jpg'), 'a socket, not a regular file'],
      [join(pets, 'cats', 'dangling.jpg'), `dangling symbolic link to ${join(elsewhere, 'missing.jpg')}`],
      [join(pets, 'cats'), 'a folder, not a regular file'],
      ['/dev/zero', 'a character device, not a regular file'],
      [join(tmp, 'no-such.jpg'), 'file not found (removed after the dataset was listed?)'],
    ];
    for (const [path, reason] of cases) {
      const error = await readImageFile(path).catch((e: unknown) => e);
      expect(error, path).toBeInstanceOf(BadImageError);
      expect((error as BadImageError).reason, path).toBe(reason);
      await expect(loadImage(path, transforms, 0)).rejects.toThrow(`${path}: ${reason}`);
    }
    expect((await readImageFile(join(pets, 'cats', 'linked.jpg'))).equals(await jpeg())).toBe(true);
  });

  it('the loader and checkDataset report them as bad files, on the main thread and in workers', async () => {
    const dataset = openDataset(pets, { onWarning: () => {} });
    const expected = {
      'dangling.jpg': `dangling symbolic link to ${join(elsewhere, 'missing.jpg')}`,
      'pipe.jpg': 'a FIFO (named pipe), not a regular file',
      'socket.jpg': 'a socket, not a regular file',
    };
    const names = (files: BadFile[]) => Object.fromEntries(files.map((f) => [f.path.split('/').at(-1), f.reason]));
    for (const workers of [0, 2]) {
      const reported: BadFile[] = [];
      const loader = new ImageLoader(dataset, {
        batchSize: 6,
        transforms,
        workers,
        onBadFile: (f) => reported.push(f),
      });
      for await (const batch of loader.epoch(0)) {
        expect(batch.paths.map((p) => p.split('/').at(-1)).sort()).toEqual(['a.jpg', 'c.jpg', 'linked.jpg']);
        expect(batch.skipped).toBe(3);
        tf.dispose([batch.images, batch.labels]);
      }
      await loader.close();
      expect(names(reported)).toEqual(expected);
    }
    for (const decode of [true, false]) {
      const report = await checkDataset(dataset, { decode });
      expect(names(report.bad)).toEqual(expected);
      expect(report.perClass.map((c) => c.count)).toEqual([5, 1]);
      expect(report.warnings).toHaveLength(2);
    }
  });
});

describe('names that are not UTF-8', () => {
  it('lists, opens and loads them by their bytes, showing the odd bytes as \\xNN', async () => {
    const root = join(tmp, 'latin1');
    const bytes = (...parts: Array<string | number[]>) =>
      Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
    mkdirSync(bytes(root, '/caf', [0xe9]), { recursive: true }); // "café" in Latin-1
    mkdirSync(join(root, 'plain'));
    writeFileSync(bytes(root, '/caf', [0xe9], '/na', [0xef], 've.JPEG'), await jpeg());
    writeFileSync(bytes(root, '/plain/', [0xff, 0xfe], '.JPEG'), await jpeg());
    writeFileSync(join(root, 'plain', 'ok.JPEG'), await jpeg());
    const dataset = openDataset(root);
    expect(dataset.classes).toEqual(['caf\\xe9', 'plain']);
    expect(dataset.samples.map((s) => s.path.slice(root.length + 1))).toEqual([
      'caf\\xe9/na\\xefve.JPEG',
      'plain/\\xff\\xfe.JPEG',
      'plain/ok.JPEG',
    ]);
    expect(Buffer.from(dataset.samples[0].file as Uint8Array)).toEqual(
      bytes(root, '/caf', [0xe9], '/na', [0xef], 've.JPEG'),
    );
    expect(dataset.samples[2].file).toBeUndefined();
    for (const workers of [0, 1]) {
      const reported: BadFile[] = [];
      const loader = new ImageLoader(dataset, {
        batchSize: 3,
        transforms,
        workers,
        onBadFile: (f) => reported.push(f),
      });
      for await (const batch of loader.epoch(0)) {
        expect(batch.paths).toHaveLength(3);
        tf.dispose([batch.images, batch.labels]);
      }
      await loader.close();
      expect(reported).toEqual([]);
    }
    expect((await checkDataset(dataset)).bad).toEqual([]);
  });
});
