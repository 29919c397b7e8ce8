import { availableParallelism } from 'node:os';
import { RandomGenerator } from '@alexnet/layers';
import * as tf from '@tensorflow/tfjs-core';
import { BadImageError } from './bad-image.js';
import { type ImageDataset, shuffleInPlace } from './dataset.js';
import { type DecodedImage, loadImage } from './load-image.js';
import { checkPixelLimit, MAX_IMAGE_PIXELS } from './pixel-limit.js';
import type { Transform } from './transforms.js';
import { WorkerPool } from './worker-pool.js';

/** A file that could not be used, and why. */
export interface BadFile {
  path: string;
  reason: string;
}

/** Options of {@link ImageLoader}. */
export interface LoaderOptions {
  batchSize: number;
  transforms: Transform[];
  /** Reshuffle every epoch (default true). */
  shuffle?: boolean;
  /** Seed of the order and of every random transform (default 0). */
  seed?: number;
  /** Drop the last batch when it is short (default false). */
  dropLast?: boolean;
  /**
   * Worker threads decoding images (default: the number of cores; 0 decodes on the main thread). Each reads its
   * files synchronously, as torchvision's workers do: on slow storage (network, spinning disks) give more workers
   * than cores so that some decode while others wait for the disk. At most {@link maxUsefulWorkers} start (4 a
   * core, and one a sample in flight); asking for more gives a warning once.
   */
  workers?: number;
  /** Batches prepared ahead of the one being consumed (default 2): memory stays bounded by it. */
  prefetch?: number;
  /**
   * What to do with a file that cannot be used (missing, not a regular file, empty, truncated, not an image, over
   * `maxImagePixels`): `'skip'` (default) reports it and leaves it out, so its batch is one image short (as a
   * collate function that drops failed samples; a batch of only bad files is not yielded) and `skipped` counts it;
   * `'substitute'` uses the next good sample of the epoch in its place, keeping batches full, and `substituted`
   * counts it (for training; evaluation would count that image twice); `'error'` stops with an error naming the file.
   */
  badFiles?: 'skip' | 'substitute' | 'error';
  /** Called once per bad file (default: a warning on stderr). */
  onBadFile?: (file: BadFile) => void;
  /**
   * The most pixels an image may declare (default {@link MAX_IMAGE_PIXELS}, Pillow's decompression-bomb limit;
   * `Infinity` for none): a larger one is a bad file, refused from its header.
   */
  maxImagePixels?: number;
  /** Called with warnings about the options, such as a capped worker count (default: a process warning, once). */
  onWarning?: (message: string) => void;
}

/**
 * A batch: NHWC float32 images (`crops` per sample, consecutive), int32 labels, and the files they came from; with
 * how many of its samples were bad files, left out or replaced.
 */
export interface LoadedBatch {
  images: tf.Tensor4D;
  labels: tf.Tensor1D;
  paths: string[];
  crops: number;
  /**
   * Bad files left out with `badFiles: 'skip'`: this batch's, and those of batches before it that held nothing
   * else. An epoch whose last batches hold only bad files ends with a batch of no images that carries their count.
   */
  skipped: number;
  /** Bad files replaced by other samples with `badFiles: 'substitute'`. */
  substituted: number;
}

/**
 * The most worker threads a loader starts: 4 a core (more than cores pays only while some wait on slow storage)
 * and no more than the samples in flight (`batchSize` times the `prefetch` batches ahead and the one being loaded).
 */
export function maxUsefulWorkers(batchSize: number, prefetch: number, cores = availableParallelism()): number {
  return Math.max(1, Math.min(4 * cores, batchSize * (prefetch + 1)));
}

/** Warnings given once a process (two loaders of a run asking for the same give one). */
const warned = new Set<string>();

function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  process.emitWarning(message, { code: 'ALEXNET_LOADER' });
}

/**
 * Loads a dataset as batches, one epoch at a time: `for await (const batch of loader.epoch(3))`. The order is
 * shuffled with (seed, epoch) and every sample's random transforms are seeded by (seed, epoch, position), so the
 * batches are identical whatever the number of workers. Worker threads start with the first epoch and stop on
 * {@link ImageLoader.close} or when a consumer leaves an epoch early.
 */
export class ImageLoader {
  readonly dataset: ImageDataset;
  /** The options in force: defaults filled in, `workers` as started (capped by {@link maxUsefulWorkers}). */
  readonly options: Required<Omit<LoaderOptions, 'onBadFile' | 'onWarning'>> &
    Pick<LoaderOptions, 'onBadFile' | 'onWarning'>;
  /** Every bad file met so far, once each. */
  readonly badFiles: BadFile[] = [];
  private readonly reported = new Set<string>();
  private pool: WorkerPool | null = null;
  /** Values an image decodes to (crops x height x width x 3), learnt from the first batch: its slot size. */
  private imageLength: number | null = null;
  /** Shared batch buffers not in use (as many as batches were ever loading at once: prefetch + 1). */
  private readonly spareBuffers: SharedArrayBuffer[] = [];

  constructor(dataset: ImageDataset, options: LoaderOptions) {
    if (dataset.samples.length === 0) throw new Error(`${dataset.root} holds no images`);
    if (!(Number.isInteger(options.batchSize) && options.batchSize > 0)) {
      throw new RangeError(`batchSize must be a positive integer, got ${options.batchSize}`);
    }
    this.dataset = dataset;
    const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
    this.options = {
      shuffle: true,
      seed: 0,
      dropLast: false,
      workers: availableParallelism(),
      prefetch: 2,
      badFiles: 'skip',
      maxImagePixels: MAX_IMAGE_PIXELS,
      ...(given as LoaderOptions),
    };
    const { workers, prefetch, batchSize, badFiles } = this.options;
    for (const [name, value] of [
      ['workers', workers],
      ['prefetch', prefetch],
    ] as const) {
      if (!(Number.isInteger(value) && value >= 0))
        throw new RangeError(`${name} must be an integer >= 0, got ${value}`);
    }
    if (!['skip', 'substitute', 'error'].includes(badFiles)) {
      throw new RangeError(`badFiles must be 'skip', 'substitute' or 'error', got ${String(badFiles)}`);
    }
    checkPixelLimit(this.options.maxImagePixels);
    const cap = maxUsefulWorkers(batchSize, prefetch);
    if (workers > cap) {
      this.options.workers = cap;
      const cores = availableParallelism();
      (options.onWarning ?? warnOnce)(
        `workers: ${workers} asked for, ${cap} started (at most 4 a core on ${cores} cores, and one a sample in flight: ${batchSize * (prefetch + 1)})`,
      );
    }
  }

  /** Batches in one epoch. */
  get batchesPerEpoch(): number {
    const n = this.dataset.samples.length;
    return this.options.dropLast ? Math.floor(n / this.options.batchSize) : Math.ceil(n / this.options.batchSize);
  }

  /** The batches of `epoch` (any integer; the same epoch gives the same batches). */
  async *epoch(epoch: number): AsyncGenerator<LoadedBatch> {
    const { batchSize, seed, workers, prefetch } = this.options;
    const order = this.dataset.samples.map((_, i) => i);
    if (this.options.shuffle) shuffleInPlace(order, new RandomGenerator(mix(seed, epoch, 0x5eed)));
    // Workers outlive a completed epoch (starting them costs a few hundred ms), not an abandoned one.
    if (workers > 0 && !this.pool) this.pool = new WorkerPool(workers);
    const pool = this.pool;
    let completed = false;
    const inFlight: Array<Promise<LoadedBatchData>> = [];
    let next = 0;
    const launch = () => {
      while (inFlight.length <= prefetch && next < this.batchesPerEpoch) {
        const start = next * batchSize;
        const positions = order.slice(start, start + batchSize).map((_, k) => start + k);
        const loading = this.loadBatch(positions, order, epoch, pool);
        loading.catch(() => {}); // awaited below; never an unhandled rejection if the consumer leaves first
        inFlight.push(loading);
        next += 1;
      }
    };
    // Bad files of batches that held nothing else, carried to the next batch yielded.
    let carried = 0;
    let last: LoadedBatchData | null = null;
    try {
      launch();
      while (inFlight.length > 0) {
        const data = await (inFlight.shift() as Promise<LoadedBatchData>);
        launch();
        carried += data.skipped;
        if (data.paths.length === 0) continue;
        last = data;
        yield toBatch(data, carried);
        carried = 0;
      }
      if (carried > 0) {
        if (!last) {
          throw new Error(`None of the ${this.dataset.samples.length} images of ${this.dataset.root} can be read`);
        }
        yield toBatch({ ...last, images: new Float32Array(0), labels: [], paths: [], substituted: 0 }, carried);
      }
      completed = true;
    } finally {
      if (!completed) await this.close();
    }
  }

  /** Stops the worker threads (they also stop when an epoch is left early; idle ones never keep a process alive). */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    await pool?.close();
  }

  private async loadBatch(
    positions: number[],
    order: number[],
    epoch: number,
    pool: WorkerPool | null,
  ): Promise<LoadedBatchData> {
    // Once an image's size is known, each image is written straight into its slot of the batch: without workers
    // into the batch itself, with workers into shared memory, one of a few buffers reused batch after batch. The
    // batch is copied out of those: TF.js keeps the array a tensor is made from (and slices of it may outlive it),
    // and a new shared buffer per batch would wait for a full garbage collection to be freed (memory grew to 2 GB).
    const expected = this.imageLength;
    const shared = expected !== null && pool ? this.sharedBuffer(positions.length * expected * 4) : null;
    const target =
      expected === null
        ? null
        : shared
          ? new Float32Array(shared, 0, positions.length * expected)
          : new Float32Array(positions.length * expected);
    const slot = (i: number) => target?.subarray(i * (expected as number), (i + 1) * (expected as number));
    const results = await Promise.all(
      positions.map((position, i) => this.loadSample(position, order, epoch, pool, slot(i))),
    );
    const decoded = results.flatMap((result, index) => (result ? [{ ...result, index }] : []));
    const skipped = results.length - decoded.length;
    const substituted = decoded.filter((d) => d.substituted).length;
    if (decoded.length === 0) {
      if (shared) this.spareBuffers.push(shared);
      return {
        images: new Float32Array(0),
        labels: [],
        paths: [],
        height: 0,
        width: 0,
        crops: 1,
        skipped,
        substituted,
      };
    }
    const { height, width, crops } = decoded[0].image;
    const size = crops * height * width * 3;
    this.imageLength = size;
    const fits = skipped === 0 && target !== null && target.length === decoded.length * size;
    const images = !fits ? new Float32Array(decoded.length * size) : shared ? target.slice() : target;
    for (const [k, { image, path, index }] of decoded.entries()) {
      if (image.height !== height || image.width !== width || image.crops !== crops) {
        throw new Error(
          `${path} came out ${image.height}x${image.width} but the batch is ${height}x${width}: end the transforms with a crop of fixed size`,
        );
      }
      const inSlot = fits && image.data.buffer === target.buffer && image.data.byteOffset === index * size * 4;
      if (!inSlot) images.set(image.data, k * size);
    }
    // Only now, with every job of the batch done, can the buffer take another batch (after a failure, jobs may
    // still be writing into it: it is left to the garbage collector).
    if (shared) this.spareBuffers.push(shared);
    const labels = decoded.map((d) => d.label);
    return { images, labels, paths: decoded.map((d) => d.path), height, width, crops, skipped, substituted };
  }

  /** A shared buffer of at least `bytes` for the workers to write a batch into: a spare one, or a new one. */
  private sharedBuffer(bytes: number): SharedArrayBuffer {
    const index = this.spareBuffers.findIndex((b) => b.byteLength >= bytes);
    if (index >= 0) return this.spareBuffers.splice(index, 1)[0];
    return new SharedArrayBuffer(bytes);
  }

  /**
   * The sample at `position` of the epoch; for a bad file, null with 'skip', the next good sample after it with
   * 'substitute'.
   */
  private async loadSample(
    position: number,
    order: number[],
    epoch: number,
    pool: WorkerPool | null,
    into?: Float32Array,
  ): Promise<{ image: DecodedImage; label: number; path: string; substituted: boolean } | null> {
    const n = order.length;
    const { badFiles, transforms, maxImagePixels } = this.options;
    const attempts = badFiles === 'substitute' ? Math.min(n, 64) : 1;
    for (let attempt = 0; attempt < attempts; attempt++) {
      const sample = this.dataset.samples[order[(position + attempt) % n]];
      const seed = mix(this.options.seed, epoch, position, attempt);
      const job = { path: sample.path, file: sample.file, transforms, seed, maxImagePixels, into };
      try {
        const image = pool ? await pool.run(job) : await loadImage(sample, transforms, seed, { into, maxImagePixels });
        return { image, label: sample.label, path: sample.path, substituted: attempt > 0 };
      } catch (error) {
        // Only a BadImageError is about the file. Anything else (memory for an image the transforms make too
        // large, a crop larger than the resize) would fail on every file: it stops the load, blaming no file.
        if (!(error instanceof BadImageError)) {
          const message = (error as Error).message.split('\n')[0];
          if (/worker pool (is|was) closed/.test(message)) throw error;
          throw new Error(`Cannot load ${sample.path}, though it is no bad file: ${message}`, { cause: error });
        }
        if (badFiles === 'error') throw new Error(`Cannot read ${sample.path}: ${error.reason}`);
        this.report({ path: sample.path, reason: error.reason });
      }
    }
    if (badFiles === 'skip') return null;
    throw new Error(
      `No readable image among 64 samples from position ${position} of epoch ${epoch} in ${this.dataset.root}`,
    );
  }

  private report(file: BadFile): void {
    if (this.reported.has(file.path)) return;
    this.reported.add(file.path);
    this.badFiles.push(file);
    if (this.options.onBadFile) this.options.onBadFile(file);
    else process.emitWarning(`skipping ${file.path}: ${file.reason}`, { code: 'ALEXNET_BAD_IMAGE' });
  }
}

interface LoadedBatchData {
  images: Float32Array;
  labels: number[];
  paths: string[];
  height: number;
  width: number;
  crops: number;
  skipped: number;
  substituted: number;
}

function toBatch(data: LoadedBatchData, skipped: number): LoadedBatch {
  return {
    images: tf.tensor4d(data.images, [data.paths.length * data.crops, data.height, data.width, 3]),
    labels: tf.tensor1d(data.labels, 'int32'),
    paths: data.paths,
    crops: data.crops,
    skipped,
    substituted: data.substituted,
  };
}

/** A 32-bit seed from several integers (murmur3's finaliser over a running hash). */
export function mix(...values: number[]): number {
  let h = 0x811c9dc5;
  for (const value of values) {
    h = Math.imul(h ^ (value >>> 0), 0x01000193);
    h = Math.imul(h ^ Math.floor(value / 2 ** 32), 0x01000193);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
  }
  return h >>> 0;
}
