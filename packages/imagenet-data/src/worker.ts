/**
 * The loader's worker thread: decodes and transforms images on request. Messages in:
 * `{ id, path, transforms, seed, slot? }`; out: `{ id, data, height, width, crops }` (data transferred), the same
 * without `data` when it was written into `slot` (a view of the loader's shared batch), or `{ id, error }`.
 */
import { parentPort } from 'node:worker_threads';
import sharp from 'sharp';
import { loadImage } from './load-image.js';
import type { Transform } from './transforms.js';

interface Job {
  id: number;
  path: string;
  transforms: Transform[];
  seed: number;
  /** A slot of the loader's batch (shared memory) to write the pixels into. */
  slot?: { buffer: SharedArrayBuffer; offset: number; length: number };
}

// One libvips thread per worker: the loader scales with worker threads, not inside each image.
sharp.concurrency(1);
sharp.cache(false);

parentPort?.on('message', async (job: Job) => {
  try {
    const into = job.slot && new Float32Array(job.slot.buffer, job.slot.offset, job.slot.length);
    const image = await loadImage(job.path, job.transforms, job.seed, { into });
    if (image.data === into) {
      // Written into the batch: only the size goes back.
      parentPort?.postMessage({ id: job.id, height: image.height, width: image.width, crops: image.crops });
    } else {
      parentPort?.postMessage({ id: job.id, ...image }, [image.data.buffer as ArrayBuffer]);
    }
  } catch (error) {
    parentPort?.postMessage({ id: job.id, error: (error as Error).message });
  }
});
