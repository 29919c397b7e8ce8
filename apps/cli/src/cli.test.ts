import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// End to end: the built command in a child process, as a user runs it (turbo builds it before the tests).
const bin = new URL('../dist/bin.js', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'alexnet-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function alexnet(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return alexnetWith({}, ...args);
}

function alexnetWith(
  env: Record<string, string>,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { cwd: tmp, env: { ...process.env, XDG_CACHE_HOME: join(tmp, 'cache'), ...env }, maxBuffer: 1 << 26 },
      (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

const data = join(tmp, 'data');
const run = join(tmp, 'run');
// A deliberately small run of the real V2 network: 64-pixel inputs (adaptive pooling), 2 classes, a few images.
const small = [
  '--model',
  'alexnet_v2',
  '--image-size',
  '64',
  '--adaptive-pool',
  '--batch-size',
  '4',
  '--workers',
  '1',
  '--backend',
  'wasm',
];

beforeAll(async () => {
  const result = await alexnet(
    'data',
    'synth',
    '--out',
    data,
    '--classes',
    '2',
    '--train-per-class',
    '4',
    '--val-per-class',
    '2',
  );
  expect(result.code).toBe(0);
});

describe('alexnet', () => {
  it('data check reports classes, sizes and bad files', async () => {
    writeFileSync(join(data, 'train', 'n90000001', 'broken.JPEG'), 'not an image');
    const result = await alexnet('data', 'check', join(data, 'train'), '--json');
    rmSync(join(data, 'train', 'n90000001', 'broken.JPEG'));
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report.perClass.map((c: { count: number }) => c.count)).toEqual([5, 4]);
    expect(report.bad).toEqual([
      {
        path: join(data, 'train', 'n90000001', 'broken.JPEG'),
        reason: expect.stringMatching(/unsupported image format/),
      },
    ]);
  });

  it('data synth writes images of the sides asked for', async () => {
    const sized = join(tmp, 'sized');
    const args = ['--out', sized, '--classes', '2', '--train-per-class', '3', '--val-per-class', '1'];
    const written = await alexnet('data', 'synth', ...args, '--min-side', '200', '--max-side', '240');
    expect(written.code, written.stderr).toBe(0);
    const report = JSON.parse((await alexnet('data', 'check', join(sized, 'train'), '--json')).stdout);
    expect(report.images).toBe(6);
    expect(Math.min(report.sizes.minWidth, report.sizes.minHeight)).toBeGreaterThanOrEqual(200);
    expect(Math.max(report.sizes.maxWidth, report.sizes.maxHeight)).toBeLessThanOrEqual(240);
    const crossed = await alexnet('data', 'synth', ...args, '--min-side', '300', '--max-side', '240');
    expect(crossed.code).toBe(2);
    expect(crossed.stderr).toMatch(/(^|\n)alexnet: --min-side \(300\) is larger than --max-side \(240\)\n$/);
  });

  it('trains one epoch, writes config, metrics, checkpoints and a report, then resumes to epoch 2', async () => {
    const first = await alexnet('train', '--data', data, ...small, '--epochs', '1', '--out', run);
    expect(first.stderr).toMatch(/Backend: wasm/);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/epoch 1\/1 \| train loss [\d.]+ top-1 [\d.]+% \| val loss/);
    for (const file of ['config.json', 'metrics.jsonl', 'last.safetensors', 'best.safetensors', 'report.html']) {
      expect(existsSync(join(run, file)), file).toBe(true);
    }
    const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
    expect(config).toMatchObject({
      model: 'alexnet_v2',
      imageSize: 64,
      batchSize: 4,
      lr: 0.01,
      backendUsed: { name: 'wasm' },
    });
    expect(readFileSync(join(run, 'report.html'), 'utf8')).toMatch(/<path class="series" data-series="train"/);

    const resumed = await alexnet('train', '--resume', run, '--epochs', '2', '--backend', 'wasm');
    expect(resumed.code, resumed.stderr).toBe(0);
    const epochs = readFileSync(join(run, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((l) => l.type === 'epoch');
    expect(epochs.map((e: { epoch: number }) => e.epoch)).toEqual([1, 2]);
  });

  it('evaluates and predicts with the run, and converts its weights to .pth and back', async () => {
    const evaluated = await alexnet(
      'eval',
      '--data',
      join(data, 'val'),
      '--weights',
      run,
      '--image-size',
      '64',
      '--backend',
      'wasm',
      '--json',
    );
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(JSON.parse(evaluated.stdout)).toMatchObject({ model: 'alexnet_v2', count: 4 });

    const image = join(data, 'train', 'n90000001', 'n90000001_1.JPEG');
    const predicted = await alexnet(
      'predict',
      image,
      '--weights',
      join(run, 'best.safetensors'),
      '--top-k',
      '2',
      '--backend',
      'wasm',
      '--json',
    );
    expect(predicted.code, predicted.stderr).toBe(0);
    const [result] = JSON.parse(predicted.stdout);
    expect(result.image).toBe(image);
    expect(result.predictions.map((p: { label: string }) => p.label).sort()).toEqual(['circle', 'square']);
    expect(result.predictions[0].wnid).toMatch(/^n9000000[12]$/);

    const pth = join(tmp, 'w.pth');
    const back = join(tmp, 'w.safetensors');
    expect((await alexnet('convert', join(run, 'best.safetensors'), pth)).code).toBe(0);
    const converted = await alexnet('convert', pth, back, '--model', 'alexnet_v2');
    expect(converted.code, converted.stderr).toBe(0);
    expect(converted.stdout).toMatch(/w\.pth \(pytorch, 16 tensors\) -> .*w\.safetensors/);
  });

  it('prints the layer table and its numbers', async () => {
    const table = await alexnet('summary', 'alexnet_v1');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/Total parameters: 62,378,344/);
    const json = JSON.parse((await alexnet('summary', 'alexnet_torchvision', '--json')).stdout);
    expect(json.totalParameters).toBe(61_100_840);
    expect(json.totalMultiplyAdds).toBe(714_188_480);
  });

  it('answers mistakes with one line and a non-zero exit', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['train', '--bogus'], /(^|\n)alexnet: Unknown option '--bogus' \(see 'alexnet train --help'\)\n$/],
      [['train', '--data', join(tmp, 'missing')], /(^|\n)alexnet: --data folder not found: .*missing\n$/],
      [
        ['train', '--model', 'alexnet_v9', '--data', data],
        /^alexnet: --model must be one of alexnet_torchvision, alexnet_v1, alexnet_v2, got "alexnet_v9"\n$/,
      ],
      [
        ['train', '--data', data, '--image-size', '100', '--backend', 'cpu'],
        /takes inputs of 223 to 254 pixels a side.*--adaptive-pool/,
      ],
      [['train', '--epochs', 'many'], /(^|\n)alexnet: --epochs must be an integer of at least 1, got "many"\n$/],
      [
        ['eval', '--data', data, '--weights', join(tmp, 'nope.pth')],
        /(^|\n)alexnet: Weight file not found: .*nope\.pth\n$/,
      ],
      [
        ['summary', 'alexnet_v2', '--backend', 'tensorflow-gpu', '--image-size', 'x'],
        /--image-size must be an integer/,
      ],
      [
        ['bench', '--backend', 'tensorflow-gpu'],
        /needs @tensorflow\/tfjs-node-gpu, which is not installed: npm install @tensorflow\/tfjs-node-gpu@4\.22\.0/,
      ],
      [
        ['bench', '--backend', 'tensorflow'],
        /needs @tensorflow\/tfjs-node, which is not installed: npm install @tensorflow\/tfjs-node@4\.22\.0/,
      ],
      [['frobnicate'], /(^|\n)alexnet: Unknown command "frobnicate"/],
    ];
    for (const [args, message] of cases) {
      const result = await alexnet(...args);
      expect(result.code, args.join(' ')).not.toBe(0);
      expect(result.stderr, args.join(' ')).toMatch(message);
      expect(result.stderr, args.join(' ')).not.toMatch(/\n\s+at /);
    }
    const unreadable = join(tmp, 'junk.pth');
    writeFileSync(unreadable, 'junk');
    const predicted = await alexnet(
      'predict',
      join(data, 'val', 'ILSVRC2012_val_00000001.JPEG'),
      '--weights',
      unreadable,
      '--model',
      'alexnet_v2',
    );
    expect(predicted.stderr).toMatch(/(^|\n)alexnet: .*junk\.pth is not a weight file this package reads/);
    expect((await alexnet('train', '--bogus', '--debug')).stderr).toMatch(/\n\s+at /);
  });

  it('uses the native backend by default, and without its addon says why and falls back to wasm', async () => {
    // One tiny training step of V2 at 64 pixels, on whatever backend `auto` picks.
    const tinyBench = ['bench', '--model', 'alexnet_v2', '--image-size', '64', '--adaptive-pool'];
    const oneStep = ['--steps', '1', '--batch-size', '2', '--json'];
    // --profile: the convolutions' and matrix products' GFLOP/s and share of the estimated peak, the others' time only.
    const native = await alexnet(...tinyBench, ...oneStep, '--profile');
    expect(native.code, native.stderr).toBe(0);
    const profiled = JSON.parse(native.stdout.trim().split('\n').pop() as string);
    expect(profiled).toMatchObject({
      backend: 'native',
      peakGflops: { basis: expect.stringMatching(/^estimate: /) },
      measuredPeakGflops: { basis: expect.stringMatching(/^measured: \d+ threads x 12 independent FMA chains/) },
    });
    expect(profiled.measuredPeakGflops.gflops).toBeGreaterThan(0);
    const kernel = (name: string) => profiled.kernels.find((k: { name: string }) => k.name === name);
    for (const name of ['FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', '_FusedMatMul']) {
      expect(kernel(name).gflops, name).toBeGreaterThan(0);
      expect(kernel(name).peakShare, name).toBeCloseTo(kernel(name).gflops / profiled.peakGflops.gflops, 9);
      expect(kernel(name).measuredPeakShare, name).toBeCloseTo(
        kernel(name).gflops / profiled.measuredPeakGflops.gflops,
        9,
      );
    }
    expect(kernel('LRNGrad')).not.toHaveProperty('gflops');
    const missing = { ALEXNET_NATIVE_ADDON: join(tmp, 'no-such-addon.node') };
    const asked = await alexnetWith(missing, 'bench', '--backend', 'native');
    expect(asked.code).not.toBe(0);
    expect(asked.stderr).toMatch(
      /(^|\n)alexnet: --backend native is not available here: .*no-such-addon\.node: not found/,
    );
    expect(asked.stderr).not.toMatch(/\n\s+at /);
    const fallback = await alexnetWith(missing, ...tinyBench, ...oneStep);
    expect(fallback.code, fallback.stderr).toBe(0);
    expect(JSON.parse(fallback.stdout.trim().split('\n').pop() as string)).toMatchObject({
      backend: 'wasm',
      // TF.js turns wasm threads off under Node; the CLI starts its threaded build with one thread a core.
      device: `CPU (WebAssembly SIMD, ${Math.min(8, availableParallelism())} threads)`,
    });
    expect(fallback.stderr.match(/the 'native' backend is not available/g)).toHaveLength(1);
    const badThreads = await alexnetWith({ ALEXNET_WASM_THREADS: 'two' }, 'bench', '--backend', 'wasm');
    expect(badThreads.stderr).toMatch(/(^|\n)alexnet: ALEXNET_WASM_THREADS must be a positive integer, got "two"/);
  });
});
