/**
 * Files of the weights table, by name: found in the platform's cache, or downloaded (from the publisher or a
 * mirror), checked against the table's SHA-256 and cached, as torch.hub's `load_state_dict_from_url` does. The
 * cache itself (a folder in Node.js, the Cache API in browsers) is the `#platform` import's `weightsCache`.
 */
import { environment, weightsCache } from '#platform';
import { getWeights, type PretrainedWeights } from './pretrained.js';
import { checkDigest } from './pretrained-files.js';
import { WEIGHTS_ENV } from './weights-env.js';

export { WEIGHTS_ENV } from './weights-env.js';

/** How {@link downloadWeights} finds a file: cache, network, mirror, progress. Unset options fall back to `WEIGHTS_ENV`. */
export interface DownloadOptions {
  /**
   * Node.js: the cache root; files go in its `weights/` folder. Default `$ALEXNET_CACHE`, else
   * `$XDG_CACHE_HOME/alexnet`, else `~/.cache/alexnet`. Browsers keep files in the Cache API and ignore this.
   */
  cacheDir?: string;
  /** Use the cache only, never the network (default `$ALEXNET_OFFLINE`, else false). */
  offline?: boolean;
  /**
   * A mirror: the file is fetched from `<baseUrl>/<file name>` instead of the table's URL (default
   * `$ALEXNET_WEIGHTS_BASE_URL`). An http(s) URL.
   */
  baseUrl?: string;
  /**
   * Called as a download runs: once with `received` 0 when the response starts, then after each chunk. `total` is
   * the server's `Content-Length`, else the table's size, else null. Not called when the file is cached.
   */
  onProgress?: (received: number, total: number | null) => void;
  /**
   * Milliseconds without a byte (waiting for the response, or between chunks) after which a download gives up,
   * naming the URL and how much arrived; nothing is cached. Default 60,000. A slow connection that still sends is not
   * cut.
   */
  idleTimeoutMs?: number;
}

/** A file of the weights table, checked, with where it came from and where it is kept. */
export interface DownloadedWeights {
  /** The entry of the table the file belongs to. */
  weights: PretrainedWeights;
  /** The file's bytes (its SHA-256 matches the table's). */
  bytes: Uint8Array;
  /** The file's full SHA-256, 64 lower-case hex digits. */
  sha256: string;
  /** Where it was (or would have been) downloaded from: the table's URL or the mirror's; null when neither exists. */
  url: string | null;
  /** Where the cache keeps it: a path (Node.js), a Cache API key (browsers), or null when it could not be kept. */
  location: string | null;
  /** True when the cache had it and nothing was downloaded. */
  fromCache: boolean;
}

/**
 * The URL a file of the table is downloaded from: `<baseUrl>/<file name>` with a mirror (`baseUrl`, else
 * `$ALEXNET_WEIGHTS_BASE_URL`), else the table's URL; null when the entry has none and no mirror is set.
 *
 * @throws Error when the mirror is not an http(s) URL, naming where it was set.
 */
export function weightsUrl(weights: PretrainedWeights | string, baseUrl?: string): string | null {
  const entry = typeof weights === 'string' ? getWeights(weights) : weights;
  const given = baseUrl !== undefined && baseUrl !== '';
  const mirror = given ? baseUrl : environment(WEIGHTS_ENV.baseUrl);
  if (mirror === undefined) return entry.source.url;
  const from = given ? 'baseUrl' : WEIGHTS_ENV.baseUrl;
  let base: URL;
  try {
    base = new URL(mirror);
  } catch {
    throw new Error(`${from} must be an http(s) URL, got "${mirror}"`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new Error(`${from} must be an http(s) URL, got "${mirror}"`);
  }
  // The file name goes under the mirror's path: https://mirror/models + f.pth -> https://mirror/models/f.pth.
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  return new URL(encodeURIComponent(entry.source.fileName), base).href;
}

/** Where the cache keeps (or would keep) a file of the table: a path in Node.js; null where nothing caches. */
export function weightsCachePath(
  weights: PretrainedWeights | string,
  options: { cacheDir?: string } = {},
): string | null {
  const entry = typeof weights === 'string' ? getWeights(weights) : weights;
  return weightsCache.locate(entry.source.fileName, options.cacheDir);
}

/**
 * The file of a weights-table entry (`'alexnet_torchvision.IMAGENET1K_V1'` or the entry): from the cache when it
 * holds it, else downloaded, checked against the table's SHA-256 and cached. A download is written to a temporary
 * file and renamed only once complete and checked, so an interrupted or wrong download caches nothing.
 *
 * @throws Error naming the URL on an HTTP error, a refused connection or a body cut short; naming the URL and both
 * digests on a wrong SHA-256; saying where it looked when offline and the file is not cached.
 */
export async function downloadWeights(
  weights: PretrainedWeights | string,
  options: DownloadOptions = {},
): Promise<DownloadedWeights> {
  const entry = typeof weights === 'string' ? getWeights(weights) : weights;
  const offline = options.offline ?? offlineFromEnvironment();
  const url = weightsUrl(entry, options.baseUrl);
  const found = await weightsCache.fetch({
    fileName: entry.source.fileName,
    url: offline ? null : url,
    cacheDir: options.cacheDir,
    expectedBytes: entry.source.bytes,
    check: (sha256, name) => checkDigest(entry, sha256, name),
    onProgress: options.onProgress,
    idleTimeoutMs: options.idleTimeoutMs,
  });
  if (found) return { weights: entry, url, ...found };
  const where = weightsCache.locate(entry.source.fileName, options.cacheDir);
  const looked = where ? `looked for ${where}` : 'this platform has no cache (no Cache API)';
  if (offline) {
    const why = options.offline ? 'offline: true' : `${WEIGHTS_ENV.offline}=${environment(WEIGHTS_ENV.offline)}`;
    const fetchIt = url
      ? `run once online to download it${where ? `, or put ${url} there` : ''}`
      : `put a copy of ${entry.source.fileName} there`;
    throw new Error(`${entry.tag} is not cached and offline mode is on (${why}): ${looked}. To fetch it, ${fetchIt}`);
  }
  throw new Error(
    `${entry.tag} is not cached (${looked}) and the weights table has no URL for it: set a mirror (baseUrl or ` +
      `${WEIGHTS_ENV.baseUrl}) or load a local copy with loadPretrained`,
  );
}

/** `$ALEXNET_OFFLINE` as a switch; a value that is not one is an error rather than a guess. */
function offlineFromEnvironment(): boolean {
  const value = environment(WEIGHTS_ENV.offline);
  if (value === undefined) return false;
  const text = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(text)) return true;
  if (['0', 'false', 'no', 'off'].includes(text)) return false;
  throw new Error(`${WEIGHTS_ENV.offline} must be 1 or 0 (or true / false), got "${value}"`);
}
