/**
 * The weights cache of browsers: the Cache API (`caches`, secure pages) under the name `alexnet-weights`, keyed by
 * the file's name so that a mirror and the publisher share one copy. Without `caches` every call downloads. A file
 * is stored only after its SHA-256 is checked; a stored one that fails the check is dropped and fetched again.
 */
import { download } from '../http-download.js';
import { sha256Hex } from '../sha256.js';
import type { CachedFile, CacheRequest, WeightsCache } from './types.js';

/** The Cache API cache this package keeps weight files in. */
export const CACHE_NAME = 'alexnet-weights';

/** A request URL naming the file only: the reserved `.invalid` domain makes sure it is never fetched. */
const keyOf = (fileName: string) => `https://weights.alexnet.invalid/${encodeURIComponent(fileName)}`;

function cacheStorage(): CacheStorage | null {
  return typeof caches === 'undefined' ? null : caches;
}

export const weightsCache: WeightsCache = {
  locate: (fileName) => (cacheStorage() ? `${keyOf(fileName)} in the Cache API cache "${CACHE_NAME}"` : null),

  async fetch(request: CacheRequest): Promise<CachedFile | null> {
    const storage = cacheStorage();
    const store = storage ? await storage.open(CACHE_NAME) : null;
    const key = keyOf(request.fileName);
    const hit = await store?.match(key);
    if (store && hit) {
      const bytes = new Uint8Array(await hit.arrayBuffer());
      const digest = await sha256Hex(bytes);
      try {
        request.check(digest, key);
        return { bytes, sha256: digest, location: key, fromCache: true };
      } catch (error) {
        // Nobody can reach into a browser's cache by hand: drop the bad copy, then download or report it.
        await store.delete(key);
        if (request.url === null) throw error;
      }
    }
    if (request.url === null) return null;
    const chunks: Uint8Array[] = [];
    const size = await download(request.url, {
      expectedBytes: request.expectedBytes,
      onProgress: request.onProgress,
      idleTimeoutMs: request.idleTimeoutMs,
      write: (chunk) => {
        chunks.push(chunk);
      },
    });
    const bytes = new Uint8Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.byteLength;
    }
    const digest = await sha256Hex(bytes);
    try {
      request.check(digest, request.url);
    } catch (error) {
      throw new Error(`${(error as Error).message}; nothing was cached`, { cause: error });
    }
    let location: string | null = null;
    if (store) {
      try {
        await store.put(key, new Response(bytes, { headers: { 'content-type': 'application/octet-stream' } }));
        location = key;
      } catch {
        // A full quota (or a private window) only costs the next page a download.
      }
    }
    return { bytes, sha256: digest, location, fromCache: false };
  },
};
