import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { dataCheck } from './check.js';

const tmp = mkdtempSync(join(tmpdir(), 'alexnet-data-check-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** An ImageNet root: train/ (two classes and an empty folder), val/ (class folders, one bad file), a flat test/. */
const root = join(tmp, 'imagenet');
beforeAll(async () => {
  const jpeg = await sharp({ create: { width: 30, height: 20, channels: 3, background: '#3366aa' } })
    .jpeg()
    .toBuffer();
  const files = [
    'train/n1/a.JPEG',
    'train/n1/b.JPEG',
    'train/n2/c.JPEG',
    'val/n1/d.JPEG',
    'test/e.JPEG',
    'test/f.JPEG',
  ];
  for (const file of files) {
    mkdirSync(join(root, file, '..'), { recursive: true });
    writeFileSync(join(root, file), jpeg);
  }
  mkdirSync(join(root, 'train', 'n3'));
  writeFileSync(join(root, 'val', 'n1', 'truncated.JPEG'), jpeg.subarray(0, 200));
});

/** Runs `alexnet data check` in this process: its exit code and what it printed. */
async function check(...argv: string[]): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  try {
    return { code: await dataCheck(argv), stdout };
  } finally {
    write.mockRestore();
  }
}

describe('alexnet data check', () => {
  it('checks every split of an ImageNet root, with its warnings and bad files', async () => {
    const { code, stdout } = await check(root);
    expect(code).toBe(1);
    expect(stdout.match(/^== \w+ ==$/gm)).toEqual(['== train ==', '== val ==', '== test ==']);
    expect(stdout).toContain(`${join(root, 'train', 'n3')}: a class folder with no images: left out of the classes`);
    expect(stdout).toContain(`${join(root, 'test')} (flat-unlabelled): 2 images, no labels`);
    expect(stdout).toMatch(
      new RegExp(`bad files: 1\\n {2}${join(root, 'val', 'n1', 'truncated.JPEG')}: truncated JPEG: the file ends`),
    );
  });

  it('gives every split in --json, and takes --max-image-pixels', async () => {
    const { code, stdout } = await check(root, '--json', '--max-image-pixels', '500');
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    expect(report.root).toBe(root);
    expect(
      report.splits.map((s: { split: string; images: number; bad: unknown[] }) => [s.split, s.images, s.bad.length]),
    ).toEqual([
      ['train', 3, 3],
      ['val', 2, 2],
      ['test', 2, 2],
    ]);
    expect(report.splits[0].bad[0].reason).toBe(
      'JPEG declares 30x20 = 600 pixels, over the limit of 500 (a decompression bomb? raise maxImagePixels to read it)',
    );
    // One split: the report itself, as before.
    const train = JSON.parse((await check(join(root, 'train'), '--json')).stdout);
    expect(train.perClass.map((c: { count: number }) => c.count)).toEqual([2, 1]);
    expect(train.warnings).toHaveLength(1);
  });
});

describe('alexnet data check, given names with control characters', () => {
  it('escapes them, so a class folder named with a newline cannot split or forge a report line', async () => {
    const dir = join(tmp, 'odd-names');
    const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } })
      .jpeg()
      .toBuffer();
    mkdirSync(join(dir, 'new\nline'), { recursive: true });
    writeFileSync(join(dir, 'new\nline', 'a.JPEG'), jpeg);
    mkdirSync(join(dir, 'tab\there'), { recursive: true });
    writeFileSync(join(dir, 'tab\there', 'bad\u001b[31m.JPEG'), 'not an image');
    const { stdout } = await check(dir);
    expect(stdout).toContain('\n  new\\nline: 1\n');
    expect(stdout).toContain(`\n  ${join(dir, 'tab\\there', 'bad\\x1b[31m.JPEG')}: `);
    expect(stdout).not.toContain('\u001b');
  });
});
