import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectClose, fixtureBytes, nchwToNhwc } from '@alexnet/test-utils';
import { readSafetensors } from '@alexnet/torch-io';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ALEXNET_TORCHVISION,
  AlexNet,
  createPretrainedModel,
  downloadWeights,
  getWeights,
  type PretrainedWeights,
  registerModel,
  registerWeights,
  WEIGHTS_ENV,
  weightsCachePath,
  weightsUrl,
} from './index.js';

// Everything here runs against servers on 127.0.0.1: no test reaches outside the machine.
const fixtureUrl = (name: string) => new URL(`../fixtures/${name}`, import.meta.url);
// torchvision's alexnet at small widths, written by PyTorch's torch.save (scripts/fixtures/pytorch_reference.py).
const FIXTURE = fixtureBytes(fixtureUrl('torchvision.pth'));
const FIXTURE_SHA256 = createHash('sha256').update(FIXTURE).digest('hex');
const FILE_NAME = `alexnet-fixture-${FIXTURE_SHA256.slice(0, 8)}.pth`;
const expected = readSafetensors(fixtureBytes(fixtureUrl('torchvision.expected.safetensors')));
const config = JSON.parse(expected.metadata.config) as { convs: number[]; hidden: number; classes: number };

/** A server that logs the paths asked for and answers by the first path segment. */
interface TestServer {
  origin: string;
  requests: string[];
  close(): Promise<void>;
}

async function serve(): Promise<TestServer> {
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    const path = request.url ?? '/';
    requests.push(path);
    const route = path.split('/')[1];
    if (route === '404') return void response.writeHead(404, 'Not Found').end('no such file');
    if (route === '500') return void response.writeHead(500, 'Internal Server Error').end('broken');
    if (route === 'wrong') {
      const other = fixtureBytes(fixtureUrl('v1_paper.pth'));
      return void response.writeHead(200, { 'content-length': other.byteLength }).end(other);
    }
    if (route === 'cut') {
      // Announces the whole file, sends a third of it, then drops the connection.
      response.writeHead(200, { 'content-length': FIXTURE.byteLength });
      response.write(FIXTURE.subarray(0, Math.floor(FIXTURE.byteLength / 3)), () => {
        setTimeout(() => response.socket?.destroy(), 20);
      });
      return;
    }
    if (route === 'stall') {
      // Sends a third of the file, then nothing more, the connection held open (a hung server).
      response.writeHead(200, { 'content-length': FIXTURE.byteLength });
      return void response.write(FIXTURE.subarray(0, Math.floor(FIXTURE.byteLength / 3)));
    }
    if (route === 'silent') return; // Never answers.
    if (route === 'slow') {
      // 64 KiB every 100 ms: slow, but never silent for the 300 ms the test allows.
      response.writeHead(200, { 'content-length': FIXTURE.byteLength });
      let offset = 0;
      const next = () => {
        if (offset >= FIXTURE.byteLength) return void response.end();
        response.write(FIXTURE.subarray(offset, offset + 65536));
        offset += 65536;
        setTimeout(next, 100);
      };
      return void setTimeout(next, 100);
    }
    if (route === 'chunked') {
      // No Content-Length: progress falls back to the table's size.
      response.writeHead(200, { 'transfer-encoding': 'chunked' });
      return void writeInPieces(response, FIXTURE);
    }
    if (path.endsWith(`/${FILE_NAME}`)) {
      response.writeHead(200, { 'content-length': FIXTURE.byteLength, 'content-type': 'application/octet-stream' });
      return void writeInPieces(response, FIXTURE);
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Writes in 64 KiB pieces, one an event-loop turn, so the client sees several chunks. */
function writeInPieces(response: import('node:http').ServerResponse, bytes: Uint8Array): void {
  let offset = 0;
  const next = () => {
    if (offset >= bytes.byteLength) return void response.end();
    const piece = bytes.subarray(offset, offset + 65536);
    offset += piece.byteLength;
    response.write(piece, () => setImmediate(next));
  };
  next();
}

let server: TestServer;
let entry: PretrainedWeights;
const folders: string[] = [];
const cacheDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'alexnet-weights-cache-'));
  folders.push(dir);
  return dir;
};
/** The files of a cache root's weights folder (none when it was never made). */
const cached = (root: string) => (existsSync(join(root, 'weights')) ? readdirSync(join(root, 'weights')).sort() : []);
const savedEnv = { ...process.env };

beforeAll(async () => {
  server = await serve();
  registerModel({
    ...ALEXNET_TORCHVISION,
    name: 'alexnet_torchvision_download_test',
    convs: ALEXNET_TORCHVISION.convs.map((stage, i) => ({ ...stage, out: config.convs[i] })),
    hidden: ALEXNET_TORCHVISION.hidden.map(() => config.hidden),
  });
  const { tag: _tag, ...torchvision } = getWeights('alexnet_torchvision.IMAGENET1K_V1');
  entry = registerWeights({
    ...torchvision,
    model: 'alexnet_torchvision_download_test',
    name: 'FIXTURE',
    modelOptions: { numClasses: config.classes },
    source: {
      url: `${server.origin}/models/${FILE_NAME}`,
      fileName: FILE_NAME,
      format: 'pytorch',
      bytes: FIXTURE.byteLength,
    },
    sha256: { hex: FIXTURE_SHA256, complete: true, source: 'node:crypto over the fixture' },
    classNames: Array.from({ length: config.classes }, (_, i) => `fixture class ${i}`),
  });
});
afterEach(() => {
  for (const name of Object.values(WEIGHTS_ENV)) {
    if (savedEnv[name] === undefined) delete process.env[name];
    else process.env[name] = savedEnv[name];
  }
  delete process.env.XDG_CACHE_HOME;
  if (savedEnv.XDG_CACHE_HOME !== undefined) process.env.XDG_CACHE_HOME = savedEnv.XDG_CACHE_HOME;
});
afterAll(async () => {
  await server.close();
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

describe('createPretrainedModel', () => {
  it("downloads into the cache, checks the SHA-256 and gives PyTorch's logits; then loads from the cache alone", async () => {
    // A server of its own, so that stopping it leaves the other tests theirs.
    const own = await serve();
    const root = cacheDir();
    const progress: [number, number | null][] = [];
    const options = { cacheDir: root, baseUrl: `${own.origin}/models` };
    const x = nchwToNhwc(readSafetensors(fixtureBytes(fixtureUrl('input224.safetensors'))).tensors.input);
    const before = tf.memory().numTensors;

    const model = await createPretrainedModel('alexnet_torchvision_download_test', {
      ...options,
      weights: 'FIXTURE',
      onProgress: (received, total) => progress.push([received, total]),
    });
    expect(model).toBeInstanceOf(AlexNet);
    expect(model.classNames).toEqual(entry.classNames);
    const path = join(root, 'weights', FILE_NAME);
    expect(cached(root)).toEqual([FILE_NAME]);
    expect(createHash('sha256').update(readFileSync(path)).digest('hex')).toBe(FIXTURE_SHA256);
    expect(own.requests).toEqual([`/models/${FILE_NAME}`]);
    const logits = model.eval().forward(x);
    expectClose(logits.dataSync(), expected.tensors.logits.data, 1e-4, 'logits');
    logits.dispose();
    model.dispose();

    // Progress: 0 when the response starts, growing to the whole file, against the server's Content-Length.
    expect(progress[0]).toEqual([0, FIXTURE.byteLength]);
    expect(progress.at(-1)).toEqual([FIXTURE.byteLength, FIXTURE.byteLength]);
    expect(progress.length).toBeGreaterThan(2);
    for (let i = 1; i < progress.length; i++) expect(progress[i][0]).toBeGreaterThanOrEqual(progress[i - 1][0]);

    await own.close();
    const fromCache = await downloadWeights(entry.tag, options);
    expect(fromCache).toMatchObject({ fromCache: true, location: path, sha256: FIXTURE_SHA256 });
    expect(Buffer.from(fromCache.bytes).equals(Buffer.from(FIXTURE))).toBe(true);
    const again = await createPretrainedModel(entry.tag, { ...options, onProgress: () => progress.push([-1, -1]) });
    const second = again.eval().forward(x);
    expectClose(second.dataSync(), expected.tensors.logits.data, 1e-4, 'logits from the cache');
    second.dispose();
    again.dispose();
    expect(progress.at(-1)).toEqual([FIXTURE.byteLength, FIXTURE.byteLength]); // no progress for a cache hit
    expect(own.requests).toHaveLength(1);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('refuses weights it cannot find, and models that are not AlexNets, before downloading', async () => {
    await expect(createPretrainedModel('alexnet_torchvision_download_test')).rejects.toThrow(
      "createPretrainedModel('alexnet_torchvision_download_test') needs { weights }: one of FIXTURE",
    );
    await expect(createPretrainedModel('alexnet_torchvision', { weights: 'IMAGENET1K_V9' })).rejects.toThrow(
      /alexnet_torchvision has no weights named "IMAGENET1K_V9"\. Known weights: .*alexnet_torchvision\.IMAGENET1K_V1/,
    );
    await expect(createPretrainedModel('alexnet_v1')).rejects.toThrow(/alexnet_v1 has no weights in the table/);
  });
});

describe('downloadWeights', () => {
  it('caches under $XDG_CACHE_HOME/alexnet/weights, or $ALEXNET_CACHE, by the published file name', async () => {
    const xdg = cacheDir();
    process.env.XDG_CACHE_HOME = xdg;
    delete process.env[WEIGHTS_ENV.cache];
    expect(weightsCachePath(entry)).toBe(join(xdg, 'alexnet', 'weights', FILE_NAME));
    const file = await downloadWeights(entry);
    expect(file).toMatchObject({
      fromCache: false,
      url: entry.source.url,
      location: join(xdg, 'alexnet', 'weights', FILE_NAME),
    });
    expect(readdirSync(join(xdg, 'alexnet', 'weights'))).toEqual([FILE_NAME]);

    const root = cacheDir();
    process.env[WEIGHTS_ENV.cache] = root;
    expect(weightsCachePath(entry)).toBe(join(root, 'weights', FILE_NAME));
    expect((await downloadWeights(entry)).location).toBe(join(root, 'weights', FILE_NAME));
    // The option wins over the variable.
    const other = cacheDir();
    expect((await downloadWeights(entry, { cacheDir: other })).location).toBe(join(other, 'weights', FILE_NAME));
  });

  it('says which path is a file when the cache root is one (ALEXNET_CACHE set to a file), offline or not', async () => {
    const file = join(cacheDir(), 'not-a-folder');
    writeFileSync(file, 'mine');
    const why = new RegExp(
      `${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is a file, not a folder \\(is ALEXNET_CACHE or XDG_CACHE_HOME set to a file\\?\\)`,
    );
    await expect(downloadWeights(entry, { cacheDir: file })).rejects.toThrow(why);
    await expect(downloadWeights(entry, { cacheDir: file, offline: true })).rejects.toThrow(why);
    const folder = cacheDir();
    mkdirSync(join(folder, 'weights', FILE_NAME), { recursive: true });
    await expect(downloadWeights(entry, { cacheDir: folder, offline: true })).rejects.toThrow(
      /Cannot read the cached weight file .*: it is a folder, not a file$/,
    );
    expect(readFileSync(file, 'utf8')).toBe('mine');
  });

  it('refuses a file whose SHA-256 is not the table’s, naming the URL and both digests, and caches nothing', async () => {
    const root = cacheDir();
    const url = `${server.origin}/wrong/${FILE_NAME}`;
    const actual = createHash('sha256')
      .update(fixtureBytes(fixtureUrl('v1_paper.pth')))
      .digest('hex');
    await expect(downloadWeights(entry, { cacheDir: root, baseUrl: `${server.origin}/wrong` })).rejects.toThrow(
      `${url} is not ${FILE_NAME} of ${entry.tag}: its SHA-256 is ${actual}, the table says ${FIXTURE_SHA256}; nothing was cached`,
    );
    expect(cached(root)).toEqual([]); // no file, no temporary file
  });

  it('gives up on an interrupted download, a 404, a 500 and a refused connection, naming the URL, caching nothing', async () => {
    const root = cacheDir();
    const attempt = (base: string) => downloadWeights(entry, { cacheDir: root, baseUrl: base });
    const third = Math.floor(FIXTURE.byteLength / 3);
    const cut = `${server.origin}/cut/${FILE_NAME}`;
    const error = (await attempt(`${server.origin}/cut`).catch((e: Error) => e)) as Error;
    // Whether the socket's end reaches fetch as an error or as an early end, the message says how far it got.
    const match = new RegExp(
      `^Download of ${cut} (was interrupted after (\\d+) of ${FIXTURE.byteLength} bytes: .+|` +
        `ended after (\\d+) bytes; its Content-Length announced ${FIXTURE.byteLength} .*)$`,
    ).exec(error.message);
    expect(match, error.message).not.toBeNull();
    expect(Number(match?.[2] ?? match?.[3])).toBeLessThanOrEqual(third);
    expect(cached(root)).toEqual([]);
    await expect(attempt(`${server.origin}/404`)).rejects.toThrow(
      `Cannot download ${server.origin}/404/${FILE_NAME}: HTTP 404 Not Found`,
    );
    await expect(attempt(`${server.origin}/500/`)).rejects.toThrow(
      `Cannot download ${server.origin}/500/${FILE_NAME}: HTTP 500 Internal Server Error`,
    );
    const closed = await serve();
    await closed.close();
    await expect(attempt(closed.origin)).rejects.toThrow(
      `Cannot download ${closed.origin}/${FILE_NAME}: connection refused (ECONNREFUSED)`,
    );
    expect(cached(root)).toEqual([]);
  });

  it('gives up on a server that stops sending, before or during the body, naming the URL, caching nothing', async () => {
    const root = cacheDir();
    const attempt = (route: string) =>
      downloadWeights(entry, { cacheDir: root, baseUrl: `${server.origin}/${route}`, idleTimeoutMs: 300 });
    const third = Math.floor(FIXTURE.byteLength / 3);
    const started = performance.now();
    await expect(attempt('stall')).rejects.toThrow(
      `Download of ${server.origin}/stall/${FILE_NAME} stalled: nothing received for 0.3 s (after ${third} bytes)`,
    );
    await expect(attempt('silent')).rejects.toThrow(
      `Download of ${server.origin}/silent/${FILE_NAME} stalled: nothing received for 0.3 s (after 0 bytes)`,
    );
    // Each gave up after its 0.3 s without data, not after some other limit.
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(cached(root)).toEqual([]);
    // A slow server that keeps sending is not cut: a piece every 100 ms (half a second in all) under a 300 ms limit.
    const done = await downloadWeights(entry, { cacheDir: root, baseUrl: `${server.origin}/slow`, idleTimeoutMs: 300 });
    expect(done.fromCache).toBe(false);
    expect(done.sha256).toBe(FIXTURE_SHA256);
    await expect(downloadWeights(entry, { cacheDir: cacheDir(), idleTimeoutMs: 0 })).rejects.toThrow(
      'idleTimeoutMs must be a positive number of milliseconds, got 0',
    );
  });

  it('offline: uses the cache only, and says where it looked and how to fetch the file when it is not there', async () => {
    const root = cacheDir();
    const path = join(root, 'weights', FILE_NAME);
    const seen = server.requests.length;
    await expect(downloadWeights(entry, { cacheDir: root, offline: true })).rejects.toThrow(
      `${entry.tag} is not cached and offline mode is on (offline: true): looked for ${path}. To fetch it, run once online to download it, or put ${entry.source.url} there`,
    );
    process.env[WEIGHTS_ENV.offline] = '1';
    await expect(downloadWeights(entry, { cacheDir: root })).rejects.toThrow(
      /offline mode is on \(ALEXNET_OFFLINE=1\): looked for /,
    );
    expect(server.requests.length).toBe(seen);
    expect(cached(root)).toEqual([]);

    // The option overrides the variable; then, offline again, the cached file is used.
    await downloadWeights(entry, { cacheDir: root, offline: false });
    const hit = await downloadWeights(entry, { cacheDir: root });
    expect(hit).toMatchObject({ fromCache: true, location: path });
    expect(server.requests.length).toBe(seen + 1);
    process.env[WEIGHTS_ENV.offline] = 'maybe';
    await expect(downloadWeights(entry, { cacheDir: root })).rejects.toThrow(
      'ALEXNET_OFFLINE must be 1 or 0 (or true / false), got "maybe"',
    );
  });

  it('mirror: replaces the table’s origin and path with the base URL, by option or $ALEXNET_WEIGHTS_BASE_URL', async () => {
    expect(weightsUrl(entry)).toBe(entry.source.url);
    expect(weightsUrl('alexnet_torchvision.IMAGENET1K_V1', 'https://mirror.example/a/b/')).toBe(
      'https://mirror.example/a/b/alexnet-owt-7be5be79.pth',
    );
    expect(weightsUrl('alexnet_torchvision.IMAGENET1K_V1', 'https://mirror.example/a/b')).toBe(
      'https://mirror.example/a/b/alexnet-owt-7be5be79.pth',
    );
    expect(() => weightsUrl(entry, 'ftp://mirror.example/')).toThrow(
      'baseUrl must be an http(s) URL, got "ftp://mirror.example/"',
    );
    process.env[WEIGHTS_ENV.baseUrl] = 'not a url';
    expect(() => weightsUrl(entry)).toThrow('ALEXNET_WEIGHTS_BASE_URL must be an http(s) URL, got "not a url"');

    process.env[WEIGHTS_ENV.baseUrl] = `${server.origin}/mirror/sub`;
    const root = cacheDir();
    const progress: [number, number | null][] = [];
    const file = await downloadWeights(entry, { cacheDir: root });
    expect(file.url).toBe(`${server.origin}/mirror/sub/${FILE_NAME}`);
    expect(server.requests.at(-1)).toBe(`/mirror/sub/${FILE_NAME}`);
    // A mirror without Content-Length: progress counts against the table's size.
    await downloadWeights(entry, {
      cacheDir: cacheDir(),
      baseUrl: `${server.origin}/chunked`,
      onProgress: (received, total) => progress.push([received, total]),
    });
    expect(server.requests.at(-1)).toBe(`/chunked/${FILE_NAME}`);
    expect(progress[0]).toEqual([0, FIXTURE.byteLength]);
    expect(progress.at(-1)).toEqual([FIXTURE.byteLength, FIXTURE.byteLength]);
  });

  it('ignores temporary files left by a killed download, and refuses a damaged cached file, saying what to do', async () => {
    const root = cacheDir();
    const folder = join(root, 'weights');
    mkdirSync(folder, { recursive: true });
    const leftover = join(folder, `.${FILE_NAME}.0123456789ab.partial`);
    writeFileSync(leftover, FIXTURE.subarray(0, 100));
    const file = await downloadWeights(entry, { cacheDir: root });
    expect(file.fromCache).toBe(false);
    expect(
      createHash('sha256')
        .update(readFileSync(join(folder, FILE_NAME)))
        .digest('hex'),
    ).toBe(FIXTURE_SHA256);

    writeFileSync(join(folder, FILE_NAME), FIXTURE.subarray(0, 1000));
    await expect(downloadWeights(entry, { cacheDir: root })).rejects.toThrow(
      new RegExp(
        `^${join(folder, FILE_NAME)} is not ${FILE_NAME} of .*Delete ${join(folder, FILE_NAME)} to download it again\\.$`,
      ),
    );
  });
});
