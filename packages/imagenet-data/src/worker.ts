/**
 * The loader's worker thread: decodes and transforms images on request. Messages in:
 * `{ id, path, transforms, seed }`; out: `{ id, data, height, width, crops }` (data transferred) or `{ id, error }`.
 */
import { parentPort } from 'node:worker_threads';
import sharp from 'sharp';
import { loadImage } from './decode.js';
import type { Transform } from './transforms.js';

interface Job {
  id: number;
  path: string;
  transforms: Transform[];
  seed: number;
}

// One libvips thread per worker: the loader scales with worker threads, not inside each image.
sharp.concurrency(1);
sharp.cache(false);

parentPort?.on('message', async (job: Job) => {
  try {
    const image = await loadImage(job.path, job.transforms, job.seed);
    parentPort?.postMessage({ id: job.id, ...image }, [image.data.buffer as ArrayBuffer]);
  } catch (error) {
    parentPort?.postMessage({ id: job.id, error: (error as Error).message });
  }
});
