import { Worker } from 'node:worker_threads';
import { BadImageError } from './bad-image.js';
import type { DecodedImage } from './load-image.js';
import type { Transform } from './transforms.js';

interface Job {
  path: string;
  /** The path's bytes, where it is not valid UTF-8. */
  file?: Uint8Array;
  transforms: readonly Transform[];
  seed: number;
  maxImagePixels: number;
  /** A batch slot to write the pixels into, when they fit it exactly (the worker then sends no pixels back). */
  into?: Float32Array;
}

/** A worker's answer: the image (without `data` when it went into the job's slot) or an error. */
type WorkerReply = { id: number; error?: string; reason?: string } & Omit<DecodedImage, 'data'> & {
    data?: Float32Array;
  };

interface Task extends Job {
  id: number;
  resolve(image: DecodedImage): void;
  reject(error: Error): void;
}

/** The worker script beside this module; from the sources (tests), the built one. */
function workerUrl(): URL {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return new URL('../dist/worker.js', here);
  return new URL(here.endsWith('.cjs') ? './worker.cjs' : './worker.js', here);
}

let live = 0;

/** Worker threads the loaders of this process have running now (0 once every epoch has ended or been left). */
export function liveWorkerThreads(): number {
  return live;
}

/**
 * A fixed set of worker threads decoding images in submission order. Each takes four jobs at a time: libvips
 * decodes on libuv's thread pool while the worker's JavaScript crops and converts (two cores: 4 beat 2 by ~10%).
 * With the libjpeg addon a job runs start to end on the worker, and 1, 2 or 4 measured the same.
 */
export class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: Task[] = [];
  private readonly running = new Map<number, { worker: Worker; task: Task }>();
  private readonly busy = new Map<Worker, number>();
  private nextId = 0;
  private closed = false;

  constructor(
    size: number,
    private readonly jobsPerWorker = 4,
  ) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(workerUrl());
      worker.on('message', (message: WorkerReply) => this.finish(worker, message));
      worker.on('error', (error) => this.fail(worker, error));
      worker.once('exit', () => {
        live -= 1;
      });
      live += 1;
      worker.unref();
      this.workers.push(worker);
      for (let slot = 0; slot < this.jobsPerWorker; slot++) this.idle.push(worker);
    }
  }

  /** Number of live worker threads. */
  get size(): number {
    return this.workers.length;
  }

  /** Decodes one image on a worker. */
  run(job: Job): Promise<DecodedImage> {
    if (this.closed) return Promise.reject(new Error('The worker pool is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ ...job, id: this.nextId++, resolve, reject });
      this.dispatch();
    });
  }

  /** Stops every worker; queued and running jobs are rejected. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const error = new Error('The worker pool was closed');
    for (const task of [...this.queue.splice(0), ...[...this.running.values()].map((r) => r.task)]) task.reject(error);
    this.running.clear();
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
    this.idle.length = 0;
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop() as Worker;
      const task = this.queue.shift() as Task;
      this.running.set(task.id, { worker, task });
      this.setBusy(worker, +1);
      const { into } = task;
      const slot = into && { buffer: into.buffer, offset: into.byteOffset, length: into.length };
      const { id, path, file, transforms, seed, maxImagePixels } = task;
      worker.postMessage({ id, path, file, transforms, seed, maxImagePixels, slot });
    }
  }

  private finish(worker: Worker, message: WorkerReply): void {
    const task = this.running.get(message.id)?.task;
    this.running.delete(message.id);
    this.setBusy(worker, -1);
    this.idle.push(worker);
    if (task) {
      if (message.reason !== undefined) task.reject(new BadImageError(task.path, message.reason));
      else if (message.error !== undefined) task.reject(new Error(message.error));
      else {
        const data = message.data ?? (task.into as Float32Array);
        task.resolve({ data, height: message.height, width: message.width, crops: message.crops });
      }
    }
    this.dispatch();
  }

  /** Busy workers keep the process alive; idle ones do not (Node's ref/unref is a flag, so count here). */
  private setBusy(worker: Worker, change: 1 | -1): void {
    const before = this.busy.get(worker) ?? 0;
    const after = before + change;
    this.busy.set(worker, after);
    if (before === 0 && after > 0) worker.ref();
    if (before > 0 && after === 0) worker.unref();
  }

  private fail(worker: Worker, error: Error): void {
    for (const [id, running] of this.running) {
      if (running.worker !== worker) continue;
      running.task.reject(error);
      this.running.delete(id);
    }
  }
}
