/**
 * The loader's worker thread: decodes and transforms images on request. Messages in:
 * `{ id, path, file?, transforms, seed, maxImagePixels, slot? }`; out: `{ id, data, height, width, crops }` (data
 * transferred), the same without `data` when it was written into `slot` (a view of the loader's shared batch), or
 * `{ id, error, reason? }` (`reason` when the file is bad: a BadImageError's).
 */
import { parentPort } from 'node:worker_threads';
import sharp from 'sharp';
import { BadImageError } from './bad-image.js';
import { loadImage } from './load-image.js';
import type { Transform } from './transforms.js';

interface Job {
  id: number;
  path: string;
  /** The path's bytes, where it is not valid UTF-8. */
  file?: Uint8Array;
  transforms: Transform[];
  seed: number;
  maxImagePixels: number;
  /** A slot of the loader's batch (shared memory) to write the pixels into. */
  slot?: { buffer: SharedArrayBuffer; offset: number; length: number };
}

// One libvips thread per worker: the loader scales with worker threads, not inside each image.
sharp.concurrency(1);
sharp.cache(false);

parentPort?.on('message', async (job: Job) => {
  try {
    const into = job.slot && new Float32Array(job.slot.buffer, job.slot.offset, job.slot.length);
    const source = job.file ? { path: job.path, file: job.file } : job.path;
    const image = await loadImage(source, job.transforms, job.seed, { into, maxImagePixels: job.maxImagePixels });
    if (image.data === into) {
      // Written into the batch: only the size goes back.
      parentPort?.postMessage({ id: job.id, height: image.height, width: image.width, crops: image.crops });
    } else {
      parentPort?.postMessage({ id: job.id, ...image }, [image.data.buffer as ArrayBuffer]);
    }
  } catch (error) {
    const reason = error instanceof BadImageError ? error.reason : undefined;
    parentPort?.postMessage({ id: job.id, error: (error as Error).message, reason });
  }
});
