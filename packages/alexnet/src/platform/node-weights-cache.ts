/**
 * The weights cache of Node.js: files in `<cache>/weights/`, under their published names, as torch.hub keeps its
 * checkpoints. A download goes to a hidden temporary file beside its final name, is flushed to disk and checked
 * against its SHA-256, and only then renamed: a file under a cached name is always whole and right. Temporary
 * files left by a killed process have random names, so they never stand in the way of the next download.
 */
import { createHash, randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { download } from '../http-download.js';
import { WEIGHTS_ENV } from '../weights-env.js';
import type { CachedFile, CacheRequest, WeightsCache } from './types.js';

/**
 * The folder weight files are cached in: `<root>/weights`, where the root is `cacheDir`, else `$ALEXNET_CACHE`,
 * else `$XDG_CACHE_HOME/alexnet`, else `~/.cache/alexnet`.
 */
export function weightsFolder(cacheDir?: string): string {
  const env = process.env;
  // The XDG spec says a relative XDG_CACHE_HOME is to be ignored.
  const xdg = env.XDG_CACHE_HOME && resolve(env.XDG_CACHE_HOME) === env.XDG_CACHE_HOME ? env.XDG_CACHE_HOME : null;
  const root = cacheDir || env[WEIGHTS_ENV.cache] || join(xdg ?? join(homedir(), '.cache'), 'alexnet');
  return join(resolve(root), 'weights');
}

export const weightsCache: WeightsCache = {
  locate: (fileName, cacheDir) => join(weightsFolder(cacheDir), fileName),

  async fetch(request: CacheRequest): Promise<CachedFile | null> {
    const path = join(weightsFolder(request.cacheDir), request.fileName);
    const cached = await readCached(path);
    if (cached) {
      const digest = createHash('sha256').update(cached).digest('hex');
      try {
        request.check(digest, path);
      } catch (error) {
        throw new Error(`${(error as Error).message}. Delete ${path} to download it again.`, { cause: error });
      }
      return { bytes: cached, sha256: digest, location: path, fromCache: true };
    }
    if (request.url === null) return null;
    const digest = await downloadTo(path, request.url, request);
    const bytes = await readFile(path);
    return {
      bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      sha256: digest,
      location: path,
      fromCache: false,
    };
  },
};

async function readCached(path: string): Promise<Uint8Array | null> {
  try {
    const buffer = await readFile(path);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return null;
    throw new Error(`Cannot read the cached weight file ${path}: ${cacheProblem(path, error)}`, { cause: error });
  }
}

/**
 * Why a path of the cache cannot be used, in words: a file where a folder of it should be (ALEXNET_CACHE set to a
 * file) or a folder where a weight file should be, rather than Node's bare ENOTDIR / EISDIR; else the error's message.
 */
function cacheProblem(path: string, error: unknown): string {
  const code = (error as { code?: string }).code;
  if (code === 'EISDIR') return 'it is a folder, not a file';
  if (code === 'ENOTDIR' || code === 'EEXIST') {
    for (let folder = dirname(path); folder !== dirname(folder); folder = dirname(folder)) {
      let stats: ReturnType<typeof statSync> | undefined;
      try {
        stats = statSync(folder);
      } catch {
        continue; // missing, or under the file that is looked for
      }
      if (!stats.isDirectory()) {
        return `${folder} is a file, not a folder (is ${WEIGHTS_ENV.cache} or XDG_CACHE_HOME set to a file?)`;
      }
    }
  }
  return (error as Error).message;
}

/** Downloads `url` to `path` through a temporary file (see the module comment); resolves to the file's SHA-256. */
async function downloadTo(path: string, url: string, request: CacheRequest): Promise<string> {
  const folder = dirname(path);
  try {
    await mkdir(folder, { recursive: true });
  } catch (error) {
    throw new Error(`Cannot create the weights cache folder ${folder}: ${cacheProblem(path, error)}`, { cause: error });
  }
  const temporary = join(folder, `.${request.fileName}.${randomBytes(6).toString('hex')}.partial`);
  const file = await open(temporary, 'wx');
  let isOpen = true;
  try {
    const hash = createHash('sha256');
    await download(url, {
      expectedBytes: request.expectedBytes,
      onProgress: request.onProgress,
      idleTimeoutMs: request.idleTimeoutMs,
      async write(chunk) {
        hash.update(chunk);
        try {
          for (let done = 0; done < chunk.byteLength; ) {
            done += (await file.write(chunk, done, chunk.byteLength - done)).bytesWritten;
          }
        } catch (error) {
          // A full disk, most likely: say which download and where, not only ENOSPC.
          throw new Error(`Cannot write the download of ${url} to ${temporary}: ${(error as Error).message}`, {
            cause: error,
          });
        }
      },
    });
    // On disk before the rename, so a power cut cannot leave a complete name over incomplete data.
    await file.sync();
    await file.close();
    isOpen = false;
    const digest = hash.digest('hex');
    try {
      request.check(digest, url);
    } catch (error) {
      throw new Error(`${(error as Error).message}; nothing was cached`, { cause: error });
    }
    await rename(temporary, path);
    await syncFolder(folder);
    return digest;
  } catch (error) {
    if (isOpen) await file.close().catch(() => {});
    await rm(temporary, { force: true });
    throw error;
  }
}

/** Flushes the rename itself (the folder's entry); some platforms cannot open a folder for that, which is harmless. */
async function syncFolder(folder: string): Promise<void> {
  try {
    const handle = await open(folder, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Windows cannot fsync a directory; the rename is still atomic there.
  }
}
