import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fixtureBytes } from '@alexnet/test-utils';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CACHE_NAME, weightsCache } from './browser-weights-cache.js';
import type { CacheRequest } from './types.js';

// The browser's weights cache, run in Node.js against an in-memory Cache API and a server on 127.0.0.1.
const FIXTURE = fixtureBytes(new URL('../../fixtures/torchvision.pth', import.meta.url));
const SHA256 = createHash('sha256').update(FIXTURE).digest('hex');

/** The part of the Cache API the weights cache uses, over a Map of bytes (as a browser stores bodies). */
class MemoryCache {
  readonly entries = new Map<string, Uint8Array>();
  async match(key: string): Promise<Response | undefined> {
    const bytes = this.entries.get(key);
    return bytes && new Response(bytes.slice());
  }
  async put(key: string, response: Response): Promise<void> {
    this.entries.set(key, new Uint8Array(await response.arrayBuffer()));
  }
  async delete(key: string): Promise<boolean> {
    return this.entries.delete(key);
  }
}

const requests: string[] = [];
const server = createServer((request, response) => {
  requests.push(request.url ?? '');
  const body = request.url?.startsWith('/wrong/') ? FIXTURE.subarray(0, 5000) : FIXTURE;
  response.writeHead(200, { 'content-length': body.byteLength }).end(body);
});
let origin = '';
const memory = new MemoryCache();
const opened: string[] = [];

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(() => {
  delete (globalThis as { caches?: unknown }).caches;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function installCaches(): void {
  (globalThis as { caches?: unknown }).caches = {
    open: async (name: string) => {
      opened.push(name);
      return memory;
    },
  };
}

const request = (url: string | null, fileName = 'w.pth'): CacheRequest => ({
  fileName,
  url,
  expectedBytes: null,
  check(sha256, name) {
    if (sha256 !== SHA256) throw new Error(`${name} has SHA-256 ${sha256}, not ${SHA256}`);
  },
});

describe("the browser's weights cache", () => {
  it('downloads and stores a checked file in the Cache API, then serves it without the network', async () => {
    installCaches();
    const seen = requests.length;
    const first = await weightsCache.fetch(request(`${origin}/models/w.pth`));
    expect(first).toMatchObject({
      sha256: SHA256,
      fromCache: false,
      location: 'https://weights.alexnet.invalid/w.pth',
    });
    expect(Buffer.from(first?.bytes ?? []).equals(Buffer.from(FIXTURE))).toBe(true);
    expect(opened.at(-1)).toBe(CACHE_NAME);
    expect([...memory.entries.keys()]).toEqual(['https://weights.alexnet.invalid/w.pth']);
    // Offline (no URL): the stored copy, checked again.
    const second = await weightsCache.fetch(request(null));
    expect(second).toMatchObject({ sha256: SHA256, fromCache: true });
    expect(requests.length).toBe(seen + 1);
    expect(weightsCache.locate('w.pth')).toBe(
      `https://weights.alexnet.invalid/w.pth in the Cache API cache "${CACHE_NAME}"`,
    );
  });

  it('stores nothing when the SHA-256 is wrong, and drops a stored copy that fails its check', async () => {
    installCaches();
    const url = `${origin}/wrong/bad.pth`;
    await expect(weightsCache.fetch(request(url, 'bad.pth'))).rejects.toThrow(
      new RegExp(`^${url} has SHA-256 [0-9a-f]{64}, not ${SHA256}; nothing was cached$`),
    );
    expect(memory.entries.has('https://weights.alexnet.invalid/bad.pth')).toBe(false);
    memory.entries.set('https://weights.alexnet.invalid/w.pth', FIXTURE.subarray(0, 10));
    const again = await weightsCache.fetch(request(`${origin}/models/w.pth`));
    expect(again?.fromCache).toBe(false);
    expect(memory.entries.get('https://weights.alexnet.invalid/w.pth')?.byteLength).toBe(FIXTURE.byteLength);
  });

  it('without the Cache API, downloads every time and reports nothing cached', async () => {
    const seen = requests.length;
    expect(weightsCache.locate('w.pth')).toBeNull();
    expect(await weightsCache.fetch(request(null))).toBeNull();
    const file = await weightsCache.fetch(request(`${origin}/models/w.pth`));
    expect(file).toMatchObject({ fromCache: false, location: null, sha256: SHA256 });
    expect(requests.length).toBe(seen + 1);
  });

  it('imports no Node.js built-ins, nor does the download code the main entry reaches', () => {
    for (const file of ['browser.ts', 'browser-weights-cache.ts', '../http-download.ts', '../pretrained-download.ts']) {
      const source = readFileSync(new URL(file, import.meta.url), 'utf8');
      expect(source, file).not.toMatch(/from ['"](node:|fs|path|os|crypto)/);
    }
  });
});
