import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ALEXNET_TORCHVISION,
  getWeights,
  type PretrainedWeights,
  registerModel,
  registerWeights,
} from '@alexnet/models';
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { selectBackend } from './backend.js';
import { predict } from './commands/predict.js';
import { downloadProgress } from './download-progress.js';
import { modelFrom, tableEntry } from './load-model.js';

// `--weights <name>`: the weights table through the command, against a server on 127.0.0.1 (nothing leaves the
// machine). The fixture is torchvision's alexnet at small widths, written by PyTorch's torch.save.
const FIXTURE = new Uint8Array(
  readFileSync(new URL('../../../packages/alexnet/fixtures/torchvision.pth', import.meta.url)),
);
const SHA256 = createHash('sha256').update(FIXTURE).digest('hex');
const FILE_NAME = `alexnet-cli-fixture-${SHA256.slice(0, 8)}.pth`;
const TORCHVISION_FILE = 'alexnet-owt-7be5be79.pth';
const bin = new URL('../dist/bin.js', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'alexnet-cli-weights-'));

const requests: string[] = [];
const server = createServer((request, response) => {
  const path = request.url ?? '/';
  requests.push(path);
  if (path.startsWith('/missing/')) return void response.writeHead(404, 'Not Found').end();
  // Serves the fixture under any name: as torchvision's file its SHA-256 is wrong.
  response.writeHead(200, { 'content-length': FIXTURE.byteLength }).end(FIXTURE);
});
let origin = '';
let entry: PretrainedWeights;
let image = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  registerModel({
    ...ALEXNET_TORCHVISION,
    name: 'alexnet_cli_fixture',
    convs: ALEXNET_TORCHVISION.convs.map((stage, i) => ({ ...stage, out: [8, 20, 24, 16, 16][i] })),
    hidden: ALEXNET_TORCHVISION.hidden.map(() => 32),
  });
  const { tag: _tag, ...torchvision } = getWeights('alexnet_torchvision.IMAGENET1K_V1');
  entry = registerWeights({
    ...torchvision,
    model: 'alexnet_cli_fixture',
    name: 'CLI_FIXTURE',
    modelOptions: { numClasses: 10 },
    source: { url: `${origin}/models/${FILE_NAME}`, fileName: FILE_NAME, format: 'pytorch', bytes: FIXTURE.byteLength },
    sha256: { hex: SHA256, complete: true, source: 'node:crypto over the fixture' },
    classNames: Array.from({ length: 10 }, (_, i) => `fixture class ${i}`),
  });
  image = join(tmp, 'image.png');
  await sharp({ create: { width: 300, height: 260, channels: 3, background: { r: 200, g: 40, b: 90 } } })
    .png()
    .toFile(image);
  // The backend `predict --backend cpu` picks, chosen the same way for the calls below that build models.
  await selectBackend('cpu', {});
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(tmp, { recursive: true, force: true });
});

/** Runs `fn` with ALEXNET_CACHE set to `root` and stdout / stderr captured. */
async function captured<T>(root: string, fn: () => Promise<T>): Promise<{ value: T; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((text) => out.push(String(text)) > 0);
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((text) => err.push(String(text)) > 0);
  const saved = process.env.ALEXNET_CACHE;
  process.env.ALEXNET_CACHE = root;
  try {
    return { value: await fn(), stdout: out.join(''), stderr: err.join('') };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
    if (saved === undefined) delete process.env.ALEXNET_CACHE;
    else process.env.ALEXNET_CACHE = saved;
  }
}

describe('--weights <name of the weights table>', () => {
  it('resolves a weights name or a tag, with --model where one is given', () => {
    expect(tableEntry('CLI_FIXTURE')).toBe(entry);
    expect(tableEntry('alexnet_cli_fixture.CLI_FIXTURE')).toBe(entry);
    expect(tableEntry('IMAGENET1K_V1')?.tag).toBe('alexnet_torchvision.IMAGENET1K_V1');
    expect(tableEntry('IMAGENET1K_V1', 'alexnet_v1')).toBeNull(); // then taken for a path
    expect(tableEntry('run/best.safetensors')).toBeNull();
    expect(tableEntry('checkpoint.pth')).toBeNull();
    expect(tableEntry('alexnet_v1.pth')).toBeNull(); // a file name of a model's name, not a tag
    expect(() => tableEntry('alexnet_torchvision.IMAGENET1K_V9')).toThrow(
      /--weights alexnet_torchvision\.IMAGENET1K_V9: Unknown weights .*no weights named "IMAGENET1K_V9"/,
    );
    expect(() => tableEntry('alexnet_cli_fixture.CLI_FIXTURE', 'alexnet_v1')).toThrow(
      '--weights alexnet_cli_fixture.CLI_FIXTURE are weights of alexnet_cli_fixture, not of --model alexnet_v1',
    );
  });

  it('predict downloads once into the cache (a line at start and end off a terminal), then predicts from it', async () => {
    const root = mkdtempSync(join(tmp, 'cache-'));
    const seen = requests.length;
    const before = tf.memory().numTensors;
    const first = await captured(root, () =>
      predict([image, '--weights', 'CLI_FIXTURE', '--json', '--backend', 'cpu']),
    );
    expect(first.value).toBe(0);
    const path = join(root, 'weights', FILE_NAME);
    expect(createHash('sha256').update(readFileSync(path)).digest('hex')).toBe(SHA256);
    expect(readdirSync(join(root, 'weights'))).toEqual([FILE_NAME]);
    expect(requests.slice(seen)).toEqual([`/models/${FILE_NAME}`]);
    // vitest's stderr is not a terminal here: two lines, no bar.
    expect(first.stderr).toMatch(
      new RegExp(
        `^alexnet: downloading ${FILE_NAME} \\(0\\.3 MiB\\)\\nalexnet: downloaded ${origin}/models/${FILE_NAME} \\(0\\.3 MiB in \\d+\\.\\d s, SHA-256 checked\\) to ${path}\\n$`,
      ),
    );
    const [result] = JSON.parse(first.stdout);
    expect(result.predictions).toHaveLength(5);
    for (const p of result.predictions) expect(entry.classNames).toContain(p.label);
    const probabilities = result.predictions.map((p: { probability: number }) => p.probability);
    expect([...probabilities].sort((a, b) => b - a)).toEqual(probabilities);

    const second = await captured(root, () =>
      predict([image, '--weights', 'alexnet_cli_fixture.CLI_FIXTURE', '--json', '--offline', '--backend', 'cpu']),
    );
    expect(second.value).toBe(0);
    expect(second.stderr).toBe(''); // a cache hit says nothing
    expect(JSON.parse(second.stdout)).toEqual(JSON.parse(first.stdout));
    expect(requests.length).toBe(seen + 1);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('modelFrom: the entry’s model, classes and options; --offline without the file says where it looked', async () => {
    const root = mkdtempSync(join(tmp, 'cache-'));
    const { value: model } = await captured(root, () =>
      modelFrom({ weights: 'CLI_FIXTURE', extra: { dropout: 0.25 } }),
    );
    expect(model.name).toBe('alexnet_cli_fixture');
    expect(model.options).toMatchObject({ numClasses: 10, dropout: 0.25 });
    expect(model.classNames).toEqual(entry.classNames);
    model.dispose();
    const empty = mkdtempSync(join(tmp, 'cache-'));
    await expect(captured(empty, () => modelFrom({ weights: 'CLI_FIXTURE', offline: true }))).rejects.toThrow(
      `${entry.tag} is not cached and offline mode is on (offline: true): looked for ${join(empty, 'weights', FILE_NAME)}`,
    );
  });
});

describe('the download progress on stderr', () => {
  const file = (fromCache: boolean) => ({
    weights: entry,
    bytes: new Uint8Array(3 * 2 ** 20),
    sha256: SHA256,
    url: 'http://127.0.0.1/w.pth',
    location: '/cache/weights/w.pth',
    fromCache,
  });

  it('draws a bar in place on a terminal, at most every 100 ms, and ends its line', () => {
    const written: string[] = [];
    let time = 0;
    const progress = downloadProgress('w.pth', {
      stream: { isTTY: true, columns: 80, write: (text) => written.push(text) },
      now: () => time,
    });
    const total = 3 * 2 ** 20;
    progress.onProgress(0, total);
    time = 50;
    progress.onProgress(total / 3, total); // too soon after the last: not drawn
    time = 150;
    progress.onProgress(total / 2, total);
    time = 2150;
    progress.onProgress(total, total);
    progress.finish(file(false));
    expect(written.slice(0, 3).map((line) => line.replace('\x1b[K', ''))).toEqual([
      '\rDownloading w.pth [........................................]   0% 0.0/3.0 MiB',
      '\rDownloading w.pth [####################....................]  50% 1.5/3.0 MiB',
      '\rDownloading w.pth [########################################] 100% 3.0/3.0 MiB',
    ]);
    expect(written.slice(-2)).toEqual([
      '\n',
      'alexnet: downloaded http://127.0.0.1/w.pth (3.0 MiB in 2.1 s, SHA-256 checked) to /cache/weights/w.pth\n',
    ]);
  });

  it('off a terminal writes one line at the start and one at the end; nothing for a cache hit or when quiet', () => {
    const written: string[] = [];
    const stream = { isTTY: false, write: (text: string) => written.push(text) };
    const progress = downloadProgress('w.pth', { stream, now: () => 0 });
    progress.onProgress(0, null);
    progress.onProgress(2 ** 20, null);
    progress.finish(file(false));
    expect(written).toEqual([
      'alexnet: downloading w.pth\n',
      'alexnet: downloaded http://127.0.0.1/w.pth (3.0 MiB in 0.0 s, SHA-256 checked) to /cache/weights/w.pth\n',
    ]);
    written.length = 0;
    downloadProgress('w.pth', { stream }).finish(file(true));
    const quiet = downloadProgress('w.pth', { stream, quiet: true });
    quiet.onProgress(0, 10);
    quiet.finish(file(false));
    expect(written).toEqual([]);
  });
});

describe('alexnet predict / eval --weights <name>, as a user runs them', () => {
  function alexnet(env: Record<string, string>, ...args: string[]) {
    return new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [bin, ...args],
        // Nothing from the outer environment may point the child at another cache or mirror.
        {
          cwd: tmp,
          env: { ...process.env, ALEXNET_CACHE: '', ALEXNET_OFFLINE: '', XDG_CACHE_HOME: join(tmp, 'xdg'), ...env },
        },
        (error, _stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stderr }),
      );
    });
  }
  const torchvisionPath = () => join(tmp, 'xdg', 'alexnet', 'weights', TORCHVISION_FILE);

  it.runIf(existsSync(bin))('--offline without the file: says where it looked and how to fetch it', async () => {
    const result = await alexnet({}, 'predict', image, '--weights', 'IMAGENET1K_V1', '--offline', '--backend', 'cpu');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `alexnet: alexnet_torchvision.IMAGENET1K_V1 is not cached and offline mode is on (offline: true): looked for ${torchvisionPath()}. To fetch it, run once online to download it, or put https://download.pytorch.org/models/${TORCHVISION_FILE} there\n`,
    );
    const env = await alexnet(
      { ALEXNET_OFFLINE: '1' },
      'eval',
      '--data',
      tmp,
      '--weights',
      'IMAGENET1K_V1',
      '-q',
      '--backend',
      'cpu',
    );
    expect(env.stderr).toMatch(/offline mode is on \(ALEXNET_OFFLINE=1\)/);
  });

  it.runIf(existsSync(bin))(
    'a mirror serving another file: the SHA-256 error names the URL and both digests; nothing cached',
    async () => {
      const seen = requests.length;
      const result = await alexnet(
        { ALEXNET_WEIGHTS_BASE_URL: `${origin}/mirror/` },
        'predict',
        image,
        '--weights',
        'alexnet_torchvision.IMAGENET1K_V1',
        '--backend',
        'cpu',
      );
      expect(requests.slice(seen)).toEqual([`/mirror/${TORCHVISION_FILE}`]);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `alexnet: downloading ${TORCHVISION_FILE} (0.3 MiB)\n` +
          `alexnet: ${origin}/mirror/${TORCHVISION_FILE} is not ${TORCHVISION_FILE} of alexnet_torchvision.IMAGENET1K_V1: its SHA-256 is ${SHA256}, the table says 7be5be791159472b1fbf3c69796f7cb30dca7ad8466c2df70058c37116cdee02; nothing was cached\n`,
      );
      expect(existsSync(torchvisionPath())).toBe(false);
      expect(readdirSync(join(tmp, 'xdg', 'alexnet', 'weights'))).toEqual([]);

      const missing = await alexnet(
        { ALEXNET_WEIGHTS_BASE_URL: `${origin}/missing` },
        'predict',
        image,
        '--weights',
        'IMAGENET1K_V1',
        '--backend',
        'cpu',
      );
      expect(missing.stderr).toBe(
        `alexnet: Cannot download ${origin}/missing/${TORCHVISION_FILE}: HTTP 404 Not Found\n`,
      );
    },
  );

  it.runIf(existsSync(bin))('a name the table does not know is a usage error listing the known weights', async () => {
    const result = await alexnet({}, 'predict', image, '--weights', 'IMAGENET1K_V2', '--backend', 'cpu');
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'alexnet: Weight file not found: IMAGENET1K_V2 (nor a name of the weights table: alexnet_torchvision.IMAGENET1K_V1)\n',
    );
  });
});
