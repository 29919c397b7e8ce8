/** What weight files need from the platform: reading and writing whole files by path. */
export interface FileAccess {
  readFile(path: string | URL): Promise<Uint8Array>;
  /** Writes atomically: a temporary file in the same folder, then a rename, so readers never see half a file. */
  writeFile(path: string, data: Uint8Array): Promise<void>;
}

/** One file for the weights cache to find or fetch. */
export interface CacheRequest {
  /** The file's name in the cache (the publisher's: `alexnet-owt-7be5be79.pth`). */
  fileName: string;
  /** Where to download it from when it is not cached; null when offline. */
  url: string | null;
  /** The cache folder chosen by the caller (Node.js), or undefined for the platform's default. */
  cacheDir?: string;
  /** The size the table gives, for progress when the server sends no length. */
  expectedBytes: number | null;
  /** Throws when a file's SHA-256 (64 hex digits) is not the one wanted; called before anything is cached. */
  check(sha256: string, name: string): void;
  onProgress?: (received: number, total: number | null) => void;
  /** Milliseconds without a byte after which a download gives up (default a minute). */
  idleTimeoutMs?: number;
}

/** A file the weights cache holds, read. */
export interface CachedFile {
  bytes: Uint8Array;
  sha256: string;
  /** Where it is kept: a path (Node.js) or the Cache API key (browsers); null when nothing could keep it. */
  location: string | null;
  /** True when it was found in the cache, false when this call downloaded it. */
  fromCache: boolean;
}

/**
 * The weights cache of a platform: files kept by name in a folder (Node.js) or the Cache API (browsers), written
 * only when complete and checked.
 */
export interface WeightsCache {
  /** Where a file of this name is (or would be) kept, for messages. */
  locate(fileName: string, cacheDir?: string): string | null;
  /**
   * The cached file when there is one that passes `check`; else, with a `url`, downloads, checks and caches it;
   * else (offline) null.
   */
  fetch(request: CacheRequest): Promise<CachedFile | null>;
}

/** A platform's environment variable (Node.js), or undefined where there are none (browsers). */
export type Environment = (name: string) => string | undefined;
