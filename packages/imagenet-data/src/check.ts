import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import sharp from 'sharp';
import type { ImageDataset } from './dataset.js';
import { jpegDamage } from './jpeg-native.js';
import type { BadFile } from './loader.js';

/** What {@link checkDataset} found. */
export interface DatasetReport {
  root: string;
  layout: ImageDataset['layout'];
  images: number;
  /** Images per class, in class order. */
  perClass: Array<{ id: string; name: string | null; count: number }>;
  /** Image sizes of the readable files. */
  sizes: {
    minWidth: number;
    maxWidth: number;
    minHeight: number;
    maxHeight: number;
    meanWidth: number;
    meanHeight: number;
  };
  /** Decoded formats (`jpeg`, `png`, ...) and how many of each. */
  formats: Record<string, number>;
  /**
   * Readable but unusual files: CMYK, greyscale, a format its extension does not name, and JPEGs with damaged data
   * that libjpeg gets through with a warning, such as bytes before a marker (found where the JPEG addon loads; the
   * loader uses these files as PIL would).
   */
  notes: {
    cmyk: string[];
    greyscale: string[];
    misnamed: Array<{ path: string; format: string }>;
    damaged: BadFile[];
  };
  /** Files that cannot be decoded, with the reason. */
  bad: BadFile[];
}

const EXTENSION_FORMATS: Record<string, string> = {
  '.jpg': 'jpeg',
  '.jpeg': 'jpeg',
  '.png': 'png',
  '.webp': 'webp',
  '.tif': 'tiff',
  '.tiff': 'tiff',
  '.gif': 'gif',
  '.avif': 'heif',
};

/**
 * Reads every image of a dataset (fully decoding each, so truncated files are found too, unless `decode` is false)
 * and reports counts per class, size statistics, formats, CMYK / greyscale / misnamed files, and every bad file.
 */
export async function checkDataset(
  dataset: ImageDataset,
  options: { decode?: boolean; concurrency?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<DatasetReport> {
  const counts = new Array<number>(dataset.classes.length).fill(0);
  const formats: Record<string, number> = {};
  const notes: DatasetReport['notes'] = { cmyk: [], greyscale: [], misnamed: [], damaged: [] };
  const bad: BadFile[] = [];
  const widths: number[] = [];
  const heights: number[] = [];
  const decode = options.decode ?? true;
  let next = 0;
  let done = 0;
  const work = async () => {
    while (next < dataset.samples.length) {
      const sample = dataset.samples[next++];
      counts[sample.label] += 1;
      try {
        // Decoding reads the whole file anyway: read it once for libvips and libjpeg. Without decoding, libvips reads
        // only the header.
        const bytes = decode ? await readFile(sample.path) : null;
        const meta = await sharp(bytes ?? sample.path).metadata();
        if (bytes) await sharp(bytes, { failOn: 'truncated' }).raw().toBuffer();
        const format = meta.format ?? 'unknown';
        formats[format] = (formats[format] ?? 0) + 1;
        const expected = EXTENSION_FORMATS[extname(sample.path).toLowerCase()];
        if (expected && expected !== format) notes.misnamed.push({ path: sample.path, format });
        if (meta.space === 'cmyk') notes.cmyk.push(sample.path);
        const damage = bytes && format === 'jpeg' ? jpegDamage(bytes) : null;
        if (damage) notes.damaged.push({ path: sample.path, reason: damage });
        if (meta.space === 'b-w' || meta.channels === 1) notes.greyscale.push(sample.path);
        const rotated = (meta.orientation ?? 1) >= 5;
        widths.push((rotated ? meta.height : meta.width) ?? 0);
        heights.push((rotated ? meta.width : meta.height) ?? 0);
      } catch (error) {
        bad.push({ path: sample.path, reason: (error as Error).message.split('\n')[0] });
      }
      options.onProgress?.(++done, dataset.samples.length);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 8 }, work));
  const mean = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : 0);
  return {
    root: dataset.root,
    layout: dataset.layout,
    images: dataset.samples.length,
    perClass: dataset.classes.map((id, i) => ({ id, name: dataset.classNames?.[i] ?? null, count: counts[i] })),
    sizes: {
      minWidth: widths.length ? Math.min(...widths) : 0,
      maxWidth: widths.length ? Math.max(...widths) : 0,
      minHeight: heights.length ? Math.min(...heights) : 0,
      maxHeight: heights.length ? Math.max(...heights) : 0,
      meanWidth: mean(widths),
      meanHeight: mean(heights),
    },
    formats,
    notes: { ...notes, damaged: notes.damaged.sort((a, b) => a.path.localeCompare(b.path)) },
    bad: bad.sort((a, b) => a.path.localeCompare(b.path)),
  };
}
