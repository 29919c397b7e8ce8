import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isMainThread } from 'node:worker_threads';

/** An image file's bytes: read from its path, or the given bytes as a Buffer (no copy). */
export async function readImageFile(source: string | Uint8Array): Promise<Buffer> {
  if (typeof source !== 'string') return Buffer.from(source.buffer, source.byteOffset, source.byteLength);
  // A worker thread has nothing else to do meanwhile; the promise version costs ~0.4 ms of thread-pool round trips
  // per file, a tenth of a whole image's work.
  return isMainThread ? await readFile(source) : readFileSync(source);
}
