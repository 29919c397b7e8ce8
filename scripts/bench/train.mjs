#!/usr/bin/env node
// `pnpm bench:train`: AlexNet V1 and V2 training and inference images/s and peak memory, at batch 32 and 128, on
// @alexnet/tfjs-backend-native, on TF.js's wasm backend and on PyTorch (CPU) running the same architecture, in one
// run, with the ratios. Every measurement runs in its own process so that its peak RSS is its own.
//
//   pnpm bench:train [--models alexnet_v1,alexnet_v2] [--batch-sizes 32,128] [--steps 3] [--image-size 224]
//                    [--engines native,pytorch,wasm] [--wasm-batch-sizes 32,128] [--wasm-models ...] [--rounds 1]
//                    [--json out.json]
//
// An engine `native:<isa>` is the native backend held to one instruction set (avx512, avx2, sse) through
// ALEXNET_NATIVE_ISA: `--engines native,native:avx512` compares the default build with the AVX-512 one, paired.
//
// --rounds N measures every engine N times a model and batch size, alternating their order (native, pytorch, then
// pytorch, native, ...), and prints each round's ratios and their median: on a shared host whose speed drifts by
// 10-30% over minutes, the ratio of two measurements taken side by side is steadier than either speed.
//
// PyTorch comes from Debian's python3-torch (+ libopenblas0), run by /usr/bin/python3 (or $ALEXNET_BENCH_PYTHON)
// with as many threads as cores (Debian's build defaults to one here). Where it is missing its column says so.
// wasm (TF.js's threaded build with the CLI's rewrites) needs 10-40 s a step, so it runs one timed step; narrow it
// with --wasm-batch-sizes and --wasm-models. V1 at batch 128 takes 4 GB there, wasm's 32-bit limit.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'apps', 'cli', 'dist', 'bin.js');
const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'alexnet_v1,alexnet_v2' },
    'batch-sizes': { type: 'string', default: '32,128' },
    'wasm-batch-sizes': { type: 'string', default: '32,128' },
    'wasm-models': { type: 'string', default: 'alexnet_v1,alexnet_v2' },
    steps: { type: 'string', default: '3' },
    'image-size': { type: 'string', default: '224' },
    engines: { type: 'string', default: 'native,pytorch,wasm' },
    rounds: { type: 'string', default: '1' },
    json: { type: 'string' },
  },
});
const list = (s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
const models = list(values.models);
const batches = list(values['batch-sizes']).map(Number);
const wasmBatches = new Set(list(values['wasm-batch-sizes']).map(Number));
const wasmModels = new Set(list(values['wasm-models']));
const engines = list(values.engines);
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) {
  console.error(`--rounds must be a whole number of at least 1, got ${JSON.stringify(values.rounds)}`);
  process.exit(2);
}
const threads = availableParallelism();
const python = process.env.ALEXNET_BENCH_PYTHON ?? '/usr/bin/python3';

if (!existsSync(cli)) {
  console.error(`${cli} is missing: build first (pnpm bench:train does: turbo run build --filter=@alexnet/cli...)`);
  process.exit(1);
}

const torchCheck = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
const torchVersion = torchCheck.status === 0 ? torchCheck.stdout.trim() : null;
if (engines.includes('pytorch') && !torchVersion) {
  console.log(
    `PyTorch column skipped: ${python} cannot import torch (apt-get install python3-torch libopenblas0, or set ALEXNET_BENCH_PYTHON).`,
  );
}

/** One measurement in a child process: { train: { imagesPerSecond }, forward: { imagesPerSecond }, peakRssMB }. */
function measure(engine, model, batchSize) {
  const steps = engine === 'wasm' ? '1' : values.steps;
  const common = [
    '--model',
    model,
    '--batch-size',
    String(batchSize),
    '--steps',
    steps,
    '--image-size',
    values['image-size'],
  ];
  // `native:<isa>` is the native backend held to one instruction set (ALEXNET_NATIVE_ISA), to compare its builds.
  const [backend, isa] = engine.split(':');
  const [command, args] =
    engine === 'pytorch'
      ? [python, [join(root, 'scripts', 'bench', 'pytorch_alexnet.py'), ...common, '--threads', String(threads)]]
      : [process.execPath, [cli, 'bench', '--json', '--backend', backend, ...common]];
  const env = isa ? { ...process.env, ALEXNET_NATIVE_ISA: isa } : process.env;
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 24, env });
  const line = result.stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop();
  if (result.status !== 0 || !line) {
    const reason = (result.stderr || result.stdout).trim().split('\n').pop();
    return { error: `exit ${result.status}: ${reason}` };
  }
  return JSON.parse(line);
}

const results = [];
const fmt = (x) => (x === undefined ? '-' : x.toFixed(2));
const ratio = (a, b) => (a && b ? `${(a / b).toFixed(2)}x` : '-');
const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
console.log(
  `AlexNet images/s at ${values['image-size']}x${values['image-size']}, ${values.steps} timed steps (wasm: 1) after one warm-up, ${threads} cores${rounds > 1 ? `, ${rounds} rounds` : ''}`,
);
console.log('model       batch  engine    train    forward  peak MB');
for (const model of models) {
  for (const batchSize of batches) {
    const present = engines.filter(
      (engine) =>
        !(engine === 'pytorch' && !torchVersion) &&
        !(engine === 'wasm' && !(wasmBatches.has(batchSize) && wasmModels.has(model))),
    );
    /** Per other engine, each round's native / other ratios. */
    const paired = {};
    for (let round = 0; round < rounds; round++) {
      const row = {};
      // Odd rounds run the engines in reverse, so that a drift in the host's speed favours neither side.
      for (const engine of round % 2 ? [...present].reverse() : present) {
        const r = measure(engine, model, batchSize);
        row[engine] = r;
        results.push({ engine, model, batchSize, round, ...r });
        const line = r.error
          ? `${engine.padEnd(8)}  ${r.error}`
          : `${engine.padEnd(8)}  ${fmt(r.train.imagesPerSecond).padStart(7)}  ${fmt(r.forward.imagesPerSecond).padStart(7)}  ${String(Math.round(r.peakRssMB)).padStart(7)}`;
        console.log(`${model.padEnd(11)} ${String(batchSize).padStart(5)}  ${line}`);
      }
      const n = row.native && !row.native.error ? row.native : null;
      for (const other of present.filter((engine) => engine !== 'native')) {
        const o = row[other] && !row[other].error ? row[other] : null;
        if (!n || !o) continue;
        console.log(
          `${' '.repeat(18)}native / ${other}: training ${ratio(n.train.imagesPerSecond, o.train.imagesPerSecond)}, inference ${ratio(n.forward.imagesPerSecond, o.forward.imagesPerSecond)}, peak memory ${ratio(n.peakRssMB, o.peakRssMB)}`,
        );
        (paired[other] ??= []).push({
          train: n.train.imagesPerSecond / o.train.imagesPerSecond,
          forward: n.forward.imagesPerSecond / o.forward.imagesPerSecond,
          memory: n.peakRssMB / o.peakRssMB,
        });
      }
    }
    if (rounds < 2) continue;
    for (const [other, list] of Object.entries(paired)) {
      const range = (key) => {
        const xs = list.map((r) => r[key]);
        return `${median(xs).toFixed(2)}x (${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)})`;
      };
      console.log(
        `${' '.repeat(18)}median of ${list.length} rounds, native / ${other}: training ${range('train')}, inference ${range('forward')}, peak memory ${range('memory')}`,
      );
    }
  }
}
if (values.json) {
  writeFileSync(values.json, `${JSON.stringify({ threads, torch: torchVersion, rounds, results }, null, 2)}\n`);
  console.log(`wrote ${values.json}`);
}
