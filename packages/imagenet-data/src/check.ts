import { extname } from 'node:path';
import sharp, { type Metadata } from 'sharp';
import { BadImageError } from './bad-image.js';
import type { ImageDataset, Sample } from './dataset.js';
import { describeBadImage, formatName } from './diagnose.js';
import { jpegDamage } from './jpeg-native.js';
import type { BadFile } from './loader.js';
import { checkPixelLimit, MAX_IMAGE_PIXELS, pixelLimitProblem, sharpPixelLimit } from './pixel-limit.js';
import { assertImageFile, openable, readImageFile } from './read-file.js';

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
  /**
   * Files that cannot be used, with the reason (the loader's, word for word): not a regular file (a dangling link, a
   * FIFO), empty, truncated, not an image, over `maxImagePixels`.
   */
  bad: BadFile[];
  /** What opening the dataset found odd (the dataset's `warnings`: empty class folders, repeated label rows, ...). */
  warnings: string[];
}

/** Options of {@link checkDataset}. */
export interface CheckDatasetOptions {
  /** Decode every image, finding truncated and corrupt data too (default true); false reads headers only. */
  decode?: boolean;
  /** Files read at once (default 8). */
  concurrency?: number;
  /** The most pixels an image may declare (default {@link MAX_IMAGE_PIXELS}, as the loader's). */
  maxImagePixels?: number;
  onProgress?: (done: number, total: number) => void;
}

/** What one readable image is. */
interface ImageFacts {
  format: string;
  width: number;
  height: number;
  space?: string;
  channels?: number;
  damage: string | null;
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
 * and reports counts per class, size statistics, formats, CMYK / greyscale / misnamed files, every bad file, and
 * the dataset's warnings.
 */
export async function checkDataset(dataset: ImageDataset, options: CheckDatasetOptions = {}): Promise<DatasetReport> {
  const counts = new Array<number>(dataset.classes.length).fill(0);
  const formats: Record<string, number> = {};
  const notes: DatasetReport['notes'] = { cmyk: [], greyscale: [], misnamed: [], damaged: [] };
  const bad: BadFile[] = [];
  const widths: number[] = [];
  const heights: number[] = [];
  const decode = options.decode ?? true;
  const maxImagePixels = checkPixelLimit(options.maxImagePixels ?? MAX_IMAGE_PIXELS);
  let next = 0;
  let done = 0;
  const work = async () => {
    while (next < dataset.samples.length) {
      const sample = dataset.samples[next++];
      if (sample.label >= 0) counts[sample.label] += 1;
      try {
        const facts = await inspectImage(sample, decode, maxImagePixels);
        formats[facts.format] = (formats[facts.format] ?? 0) + 1;
        const expected = EXTENSION_FORMATS[extname(sample.path).toLowerCase()];
        if (expected && expected !== facts.format) notes.misnamed.push({ path: sample.path, format: facts.format });
        if (facts.space === 'cmyk') notes.cmyk.push(sample.path);
        if (facts.damage) notes.damaged.push({ path: sample.path, reason: facts.damage });
        if (facts.space === 'b-w' || facts.channels === 1) notes.greyscale.push(sample.path);
        widths.push(facts.width);
        heights.push(facts.height);
      } catch (error) {
        const reason = error instanceof BadImageError ? error.reason : (error as Error).message.split('\n')[0];
        bad.push({ path: sample.path, reason });
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
    warnings: dataset.warnings ?? [],
  };
}

/**
 * One image's format, displayed size and colour space (libvips reads the header: refused over `maxImagePixels`),
 * and with `decode`, whether its data decodes (and libjpeg's warnings about it). Only a regular file is opened;
 * failures are {@link BadImageError}s with the reason worked out from the bytes, as the loader's.
 */
async function inspectImage(sample: Sample, decode: boolean, maxImagePixels: number): Promise<ImageFacts> {
  // Decoding reads the whole file anyway: read it once for libvips and libjpeg. Without decoding, libvips reads
  // only the header (of a regular file: a FIFO would block it).
  const bytes = decode || sample.file ? await readImageFile(sample) : null;
  if (!bytes) assertImageFile(sample);
  const input = bytes ?? (openable(sample) as string);
  let meta: Metadata;
  try {
    meta = await sharp(input, { limitInputPixels: false }).metadata();
    const tooLarge = pixelLimitProblem(meta.width ?? 0, meta.height ?? 0, maxImagePixels);
    if (tooLarge) throw new BadImageError(sample.path, `${formatName(meta.format ?? 'unknown')} ${tooLarge}`);
    if (bytes) {
      await sharp(bytes, { failOn: 'truncated', limitInputPixels: sharpPixelLimit(maxImagePixels) })
        .raw()
        .toBuffer();
    }
  } catch (error) {
    if (error instanceof BadImageError) throw error;
    // libvips' message may be another thread's: the reason comes from the bytes, as the loader's does.
    const all = bytes ?? (await readImageFile(sample));
    throw new BadImageError(sample.path, await describeBadImage(all, maxImagePixels));
  }
  const format = meta.format ?? 'unknown';
  const rotated = (meta.orientation ?? 1) >= 5;
  return {
    format,
    width: (rotated ? meta.height : meta.width) ?? 0,
    height: (rotated ? meta.width : meta.height) ?? 0,
    space: meta.space,
    channels: meta.channels,
    damage: bytes && format === 'jpeg' ? jpegDamage(bytes) : null,
  };
}
