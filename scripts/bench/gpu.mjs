#!/usr/bin/env node
// `pnpm bench:gpu`: AlexNet V1 and V2 on one GPU, in one run: training and inference images/s and peak GPU memory for
// @alexnet/tfjs-backend-webgpu with this project's kernels and with TF.js's stock WebGPU kernels
// (ALEXNET_WEBGPU_KERNELS=stock), for PyTorch on CUDA (fp32 with TF32 off, and with TF32 on), the ratios between
// them, and one training epoch end to end (`alexnet train`, loader included, on a synthetic ImageNet-layout set made
// by `alexnet data synth`) with the GPU's busy share sampled from nvidia-smi where it exists.
//
//   pnpm bench:gpu [--stages pytorch,webgpu,stock,epoch] [--models alexnet_v2,alexnet_v1] [--batch-sizes 128,256]
//                  [--image-size 224] [--steps 5] [--results gpu-bench.json] [--markdown gpu-bench.md] ...
//
// Every measurement runs in its own process (its peak memory its own, a crash or a hang costs only itself) under a
// time box: --measure-seconds each, --stage-seconds a stage; what does not fit is recorded as skipped, never guessed.
// Results accumulate in --results, so that scripts/gpu/run.sh can run each stage under its own `timeout` and
// --report-only then writes the table. For a rehearsal on a CPU adapter (SwiftShader) shrink everything
// (--models alexnet_v2 --batch-sizes 1 --image-size 64 --adaptive-pool --steps 1 --pytorch-device cpu
// --allow-software ...): scripts/gpu/run.sh --rehearsal does.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const { values } = parseArgs({
  options: {
    stages: { type: 'string', default: 'pytorch,webgpu,stock,epoch' },
    models: { type: 'string', default: 'alexnet_v2,alexnet_v1' },
    'batch-sizes': { type: 'string', default: '128,256' },
    'image-size': { type: 'string', default: '224' },
    'adaptive-pool': { type: 'boolean', default: false },
    steps: { type: 'string', default: '5' },
    'bench-args': { type: 'string', default: '' },
    'train-args': { type: 'string', default: '' },
    label: { type: 'string' },
    'pytorch-device': { type: 'string', default: 'cuda' },
    'pytorch-steps': { type: 'string', default: '20' },
    'pytorch-warmup': { type: 'string' },
    tf32: { type: 'string', default: 'off,on' },
    'epoch-model': { type: 'string', default: 'alexnet_v2' },
    'epoch-classes': { type: 'string', default: '8' },
    'epoch-per-class': { type: 'string', default: '320' },
    'epoch-sides': { type: 'string', default: '256,500' },
    'epoch-batch': { type: 'string', default: '128' },
    'epoch-epochs': { type: 'string', default: '2' },
    'epoch-workers': { type: 'string' },
    'epoch-data': { type: 'string' },
    'measure-seconds': { type: 'string', default: '90' },
    'stage-seconds': { type: 'string', default: '150' },
    'allow-software': { type: 'boolean', default: false },
    cli: { type: 'string', default: join(root, 'apps', 'cli', 'dist', 'bin.js') },
    python: { type: 'string', default: process.env.ALEXNET_BENCH_PYTHON ?? 'python3' },
    'pytorch-script': { type: 'string', default: join(here, 'pytorch_alexnet.py') },
    results: { type: 'string', default: 'gpu-bench.json' },
    markdown: { type: 'string' },
    'report-only': { type: 'boolean', default: false },
    'no-table': { type: 'boolean', default: false },
  },
});

const list = (s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
const models = list(values.models);
const batches = list(values['batch-sizes']).map(Number);
const stageSeconds = Number(values['stage-seconds']);
const measureSeconds = Number(values['measure-seconds']);

/** The results file: what earlier stages of this run measured, plus this stage's rows as they come. */
const results = existsSync(values.results)
  ? JSON.parse(readFileSync(values.results, 'utf8'))
  : { started: new Date().toISOString(), host: hostFacts(), rows: [] };
if (values.label) results.label = values.label;
// Written whole, then renamed over the last version: a kill mid-write cannot leave the next stage a broken file.
const save = () => {
  writeFileSync(`${values.results}.partial`, `${JSON.stringify(results, null, 2)}\n`);
  renameSync(`${values.results}.partial`, values.results);
};
const record = (row) => {
  results.rows.push({ ...row, at: new Date().toISOString() });
  save();
};

/** The GPU as nvidia-smi names it, its driver, and the versions that make the figures comparable. */
function hostFacts() {
  const smi = spawnSync(
    'nvidia-smi',
    ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader,nounits'],
    { encoding: 'utf8', timeout: 20_000 },
  );
  const [name, driver, memoryMB] = smi.status === 0 ? smi.stdout.trim().split('\n')[0].split(', ') : [];
  return {
    gpu: name ? { name, driver, memoryMB: Number(memoryMB) } : null,
    nvidiaSmi: smi.status === 0 ? 'present' : 'absent',
    node: process.version,
  };
}

/**
 * nvidia-smi sampled every 100 ms (utilization.gpu: the share of the last sample period in which a kernel ran;
 * memory.used: the whole device's), each sample stamped with this process's clock. Absent nvidia-smi: no samples.
 */
class GpuSampler {
  constructor() {
    this.samples = [];
    if (results.host.nvidiaSmi !== 'present') return;
    this.child = spawn(
      'nvidia-smi',
      ['--query-gpu=utilization.gpu,memory.used', '--format=csv,noheader,nounits', '-lms', '100'],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    let rest = '';
    this.child.stdout.on('data', (chunk) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop();
      for (const line of lines) {
        const [busy, memory] = line.split(',').map(Number);
        if (Number.isFinite(busy)) this.samples.push({ t: Date.now(), busy, memory });
      }
    });
    this.child.on('error', () => {});
  }
  stop() {
    this.child?.kill('SIGKILL');
    return this.samples;
  }
}

/** Mean busy percentage and peak memory of the samples in [from, to] (ms), or null without samples there. */
function summarise(samples, from = 0, to = Number.POSITIVE_INFINITY) {
  const inside = samples.filter((s) => s.t >= from && s.t <= to);
  if (inside.length === 0) return null;
  return {
    busyPercent: inside.reduce((sum, s) => sum + s.busy, 0) / inside.length,
    peakMemoryMB: Math.max(...inside.map((s) => s.memory)),
    samples: inside.length,
  };
}

/**
 * Runs a command with a time limit, collecting its output lines as they come (each with its arrival time; stderr's
 * too, where `alexnet train` writes its progress) and the tail of stderr. Resolves { code, lines, stderr, timedOut,
 * seconds }; never rejects.
 */
function run(command, args, { env = {}, seconds, onLine } = {}) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines = [];
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, seconds * 1000);
    const splitter = (stream) => {
      let rest = '';
      return (chunk) => {
        const parts = (rest + chunk).split('\n');
        rest = parts.pop();
        for (const text of parts) {
          const line = { t: Date.now(), text, stream };
          lines.push(line);
          onLine?.(line);
        }
      };
    };
    child.stdout.on('data', splitter('out'));
    const errLines = splitter('err');
    child.stderr.on('data', (chunk) => {
      stderr = (stderr + chunk).slice(-4000);
      process.stderr.write(chunk);
      errLines(chunk);
    });
    const finish = (code) => {
      clearTimeout(timer);
      resolve({ code, lines, stderr, timedOut, seconds: (Date.now() - started) / 1000 });
    };
    child.on('error', (error) => {
      stderr += String(error.message);
      finish(127);
    });
    child.on('close', (code) => finish(code));
  });
}

/** Why a child failed, in one line. */
function failure(result) {
  if (result.timedOut) return `timed out after ${result.seconds.toFixed(0)} s (time box)`;
  const last = result.stderr.trim().split('\n').pop() || result.lines.at(-1)?.text || '';
  return `exit ${result.code}: ${last}`;
}

/**
 * A stage's clock: `left(n)` is the next measurement's time box when n measurements (this one included) are left:
 * at least --measure-seconds, more where earlier ones finished early (an equal share of what the stage has left),
 * never more than the stage has left.
 */
function stageClock() {
  const end = Date.now() + stageSeconds * 1000;
  return (remaining = 1) => {
    const left = Math.floor((end - Date.now()) / 1000);
    return Math.min(left, Math.max(measureSeconds, Math.floor(left / remaining)));
  };
}

/** `alexnet bench --backend webgpu --json` per model and batch size, with this project's kernels or the stock ones. */
async function webgpuStage(kernels) {
  const engine = `webgpu-${kernels}`;
  const left = stageClock();
  let remaining = models.length * batches.length;
  for (const model of models) {
    for (const batchSize of batches) {
      const seconds = left(remaining--);
      const base = { engine, model, batchSize, imageSize: Number(values['image-size']) };
      if (seconds < 10) {
        record({ ...base, skipped: 'the stage time box was spent' });
        continue;
      }
      const args = [values.cli, 'bench', '--backend', 'webgpu', '--json', '--model', model];
      args.push('--batch-size', String(batchSize), '--steps', values.steps, '--image-size', values['image-size']);
      if (values['adaptive-pool']) args.push('--adaptive-pool');
      args.push(...list(values['bench-args'].replaceAll(' ', ',')));
      const sampler = new GpuSampler();
      const result = await run(process.execPath, args, { env: { ALEXNET_WEBGPU_KERNELS: kernels }, seconds });
      const gpu = summarise(sampler.stop());
      const line = result.lines.filter((l) => l.stream === 'out' && l.text.startsWith('{')).pop();
      if (result.code !== 0 || !line) {
        record({ ...base, error: failure(result) });
        continue;
      }
      const r = JSON.parse(line.text);
      if (r.device.includes('software') && !values['allow-software']) {
        record({ ...base, error: `the adapter is a software one (${r.device}): no GPU figure` });
        continue;
      }
      record({
        ...base,
        device: r.device,
        webgpuKernels: r.webgpuKernels,
        train: r.train.imagesPerSecond,
        forward: r.forward.imagesPerSecond,
        gpuPoolMB: r.gpuPoolMB,
        smiPeakMB: gpu?.peakMemoryMB ?? null,
        seconds: result.seconds,
      });
    }
  }
}

/** PyTorch, one process for every model, batch size and TF32 setting (it prints a line per measurement). */
async function pytorchStage() {
  const device = values['pytorch-device'];
  const args = [values['pytorch-script'], '--device', device, '--model', models.join(','), '--batch-size'];
  args.push(batches.join(','), '--image-size', values['image-size'], '--steps', values['pytorch-steps']);
  if (device === 'cuda') args.push('--tf32', values.tf32);
  if (values['pytorch-warmup']) args.push('--warmup', values['pytorch-warmup']);
  const check = spawnSync(values.python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  if (check.status !== 0) {
    record({ engine: 'pytorch', skipped: `${values.python} cannot import torch: no PyTorch figures` });
    return;
  }
  // Each measurement is recorded as its line comes: a later one that crashes or runs out of time loses only itself.
  let measured = 0;
  const onLine = (line) => {
    if (line.stream !== 'out' || !line.text.startsWith('{')) return;
    const r = JSON.parse(line.text);
    const engine = device === 'cuda' ? `pytorch-cuda-${r.tf32 ? 'tf32' : 'fp32'}` : 'pytorch-cpu';
    measured++;
    record({
      engine,
      model: r.model,
      batchSize: r.batchSize,
      imageSize: r.imageSize,
      device: r.gpu ?? `CPU (${r.threads} threads)`,
      version: r.version,
      precision: r.precision,
      train: r.train.imagesPerSecond,
      forward: r.forward.imagesPerSecond,
      peakGpuMB: r.peakGpuMB,
    });
  };
  const result = await run(values.python, args, { seconds: stageSeconds, env: { PYTHONUNBUFFERED: '1' }, onLine });
  if (result.code !== 0) record({ engine: 'pytorch', error: failure(result), measured });
}

/** One training run of --epoch-epochs epochs through the loader, with nvidia-smi's busy share over each epoch. */
async function epochStage() {
  const left = stageClock();
  const work = mkdtempSync(join(tmpdir(), 'alexnet-gpu-epoch-'));
  const model = values['epoch-model'];
  const base = { engine: 'epoch', model, batchSize: Number(values['epoch-batch']) };
  try {
    // A set made beforehand (run.sh writes it while PyTorch runs, on otherwise idle cores), else one made now.
    const data = values['epoch-data'] ?? join(work, 'data');
    let synth = { seconds: 0 };
    if (!values['epoch-data']) {
      const [minSide, maxSide] = list(values['epoch-sides']);
      synth = await run(
        process.execPath,
        [values.cli, 'data', 'synth', '--out', data, '--classes', values['epoch-classes']]
          .concat(['--train-per-class', values['epoch-per-class'], '--val-per-class', '1'])
          .concat(['--min-side', minSide, '--max-side', maxSide]),
        { seconds: Math.max(10, left()) },
      );
      if (synth.code !== 0) return record({ ...base, error: `data synth: ${failure(synth)}` });
    } else if (!existsSync(join(data, 'train'))) {
      return record({ ...base, error: `--epoch-data ${data} has no train/ folder (did data synth finish?)` });
    }
    const args = [values.cli, 'train', '--backend', 'webgpu', '--model', model];
    args.push('--data', join(data, 'train'), '--val', join(data, 'val'), '--no-validate-first');
    args.push('--epochs', values['epoch-epochs'], '--batch-size', values['epoch-batch']);
    args.push('--image-size', values['image-size'], '--out', join(work, 'run'));
    if (values['adaptive-pool']) args.push('--adaptive-pool');
    if (values['epoch-workers']) args.push('--workers', values['epoch-workers']);
    args.push(...list(values['train-args'].replaceAll(' ', ',')));
    const seconds = Math.max(10, stageSeconds - synth.seconds - 5);
    const sampler = new GpuSampler();
    const epochs = [];
    const result = await run(process.execPath, args, {
      seconds,
      onLine: (line) => {
        if (line.stream === 'out') process.stdout.write(`  ${line.text}\n`);
        const m = /^epoch (\d+)\/\d+ \|.*\| ([\d.]+) s, ([\d.]+) img\/s$/.exec(line.text);
        if (m) epochs.push({ epoch: Number(m[1]), seconds: Number(m[2]), imagesPerSecond: Number(m[3]), end: line.t });
      },
    });
    const samples = sampler.stop();
    const device = result.lines.map((l) => /^Backend: webgpu \((.*)\)$/.exec(l.text)?.[1]).find(Boolean);
    const measured = epochs.map(({ end, ...e }) => {
      const gpu = summarise(samples, end - e.seconds * 1000, end);
      return {
        ...e,
        busyPercent: gpu ? gpu.busyPercent : 'not measured (no nvidia-smi)',
        smiPeakMB: gpu?.peakMemoryMB,
      };
    });
    const images = result.lines.map((l) => /^Data: (\d+) training images/.exec(l.text)?.[1]).find(Boolean);
    const loader = result.lines.map((l) => /^Loader: (.*)$/.exec(l.text)?.[1]).find(Boolean);
    const row = {
      ...base,
      device,
      loader,
      images: images ? Number(images) : null,
      imageSize: Number(values['image-size']),
      synthSeconds: synth.seconds,
    };
    if (device?.includes('software') && !values['allow-software']) {
      return record({ ...row, error: `the adapter is a software one (${device}): no GPU figure` });
    }
    const error = result.code !== 0 ? failure(result) : measured.length === 0 ? 'no epoch line in its output' : null;
    record({ ...row, epochs: measured, ...(error ? { error } : {}) });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** A figure with `digits` decimals, or 3 significant digits when it is small (rehearsals measure fractions). */
const fmt = (x, digits = 1) =>
  typeof x === 'number' && Number.isFinite(x)
    ? Math.abs(x) < 10 && x !== 0
      ? x.toPrecision(3)
      : x.toFixed(digits)
    : '-';
const ratio = (a, b) => (typeof a === 'number' && typeof b === 'number' && b > 0 ? `${(a / b).toFixed(2)}x` : '-');

/** The table of every row, the ratios against the baselines measured in this run, and the issue's goals. */
function report() {
  const rows = results.rows;
  const find = (engine, model, batchSize) =>
    rows.find((r) => r.engine === engine && r.model === model && r.batchSize === batchSize && r.train !== undefined);
  const host = results.host;
  const adapter =
    rows.find((r) => (r.engine.startsWith('webgpu') || r.engine === 'epoch') && r.device)?.device ?? 'no WebGPU figure';
  const out = [
    `# AlexNet on one GPU: ${host.gpu ? `${host.gpu.name}, driver ${host.gpu.driver}` : 'no NVIDIA GPU (nvidia-smi absent)'}`,
    '',
    `Run started ${results.started}; WebGPU adapter: ${adapter}; Node ${host.node}${results.label ? `; ${results.label}` : ''}.`,
    '',
    '| model | batch | engine | train img/s | inference img/s | peak GPU MB | note |',
    '| --- | ---: | --- | ---: | ---: | ---: | --- |',
  ];
  for (const r of rows.filter((x) => x.engine !== 'epoch')) {
    const memory = r.gpuPoolMB ?? r.peakGpuMB?.train;
    const facts = [
      r.webgpuKernels && `kernels: ${r.webgpuKernels.set}, ${r.webgpuKernels.replaced.length} replaced`,
      r.smiPeakMB && `nvidia-smi peak ${r.smiPeakMB} MB`,
      r.precision && `matmul ${r.precision.matmul}, conv ${r.precision.conv}`,
    ];
    const note = r.error ?? r.skipped ?? facts.filter(Boolean).join('; ');
    out.push(
      `| ${r.model ?? '-'} | ${r.batchSize ?? '-'} | ${r.engine} | ${fmt(r.train)} | ${fmt(r.forward)} | ${fmt(memory, 0)} | ${note} |`,
    );
  }
  out.push(
    '',
    "Peak GPU MB: webgpu rows, TF.js's buffer pool (never shrinks, so its final size is the peak); PyTorch rows, torch.cuda.max_memory_allocated over the training steps.",
    '',
  );
  out.push(
    '| model | batch | ratio | training | inference | peak memory |',
    '| --- | ---: | --- | ---: | ---: | ---: |',
  );
  const pairs = [
    ['webgpu-alexnet', 'webgpu-stock'],
    ['webgpu-alexnet', 'pytorch-cuda-fp32'],
    ['webgpu-alexnet', 'pytorch-cuda-tf32'],
    ['webgpu-alexnet', 'pytorch-cpu'],
  ];
  for (const model of models)
    for (const batchSize of batches)
      for (const [a, b] of pairs) {
        const x = find(a, model, batchSize);
        const y = find(b, model, batchSize);
        if (!x || !y) continue;
        const mem = ratio(x.gpuPoolMB, y.gpuPoolMB ?? y.peakGpuMB?.train);
        out.push(
          `| ${model} | ${batchSize} | ${a} / ${b} | ${ratio(x.train, y.train)} | ${ratio(x.forward, y.forward)} | ${mem} |`,
        );
      }
  for (const r of rows.filter((x) => x.engine === 'epoch')) {
    out.push(
      '',
      `End-to-end training (${r.model}, ${r.images} synthetic images at ${r.imageSize} px, batch ${r.batchSize}, loader included${r.loader ? `: ${r.loader}` : ''}${r.synthSeconds ? `; data synth took ${fmt(r.synthSeconds)} s` : ''}):`,
    );
    if (r.error) out.push(`- ${r.error}`);
    for (const e of r.epochs ?? []) {
      const busy =
        typeof e.busyPercent === 'number'
          ? `GPU busy ${fmt(e.busyPercent)}% (nvidia-smi)`
          : `GPU busy ${e.busyPercent}`;
      out.push(`- epoch ${e.epoch}: ${fmt(e.seconds)} s, ${fmt(e.imagesPerSecond)} img/s, ${busy}`);
    }
  }
  const v2 = (engine) => find(engine, 'alexnet_v2', 128);
  const ours = v2('webgpu-alexnet');
  const lastEpoch = rows
    .filter((x) => x.engine === 'epoch')
    .at(-1)
    ?.epochs?.at(-1);
  out.push(
    '',
    "The issue's goals (V2, batch 128), as measured here:",
    `- training vs PyTorch CUDA fp32 (goal >= 0.5x): ${ratio(ours?.train, v2('pytorch-cuda-fp32')?.train)}`,
    `- training vs stock WebGPU kernels (goal >= 5x): ${ratio(ours?.train, v2('webgpu-stock')?.train)}`,
    `- inference vs PyTorch CUDA fp32 (goal >= 0.5x): ${ratio(ours?.forward, v2('pytorch-cuda-fp32')?.forward)}`,
    `- GPU busy over the last epoch (goal >= 80%): ${typeof lastEpoch?.busyPercent === 'number' ? `${fmt(lastEpoch.busyPercent)}%` : (lastEpoch?.busyPercent ?? 'not measured')}`,
  );
  return `${out.join('\n')}\n`;
}

const stages = {
  pytorch: pytorchStage,
  webgpu: () => webgpuStage('alexnet'),
  stock: () => webgpuStage('stock'),
  epoch: epochStage,
};
if (!values['report-only']) {
  if (!existsSync(values.cli)) {
    console.error(
      `${values.cli} is missing: build first (pnpm bench:gpu does: turbo run build --filter=@alexnet/cli...)`,
    );
    process.exit(1);
  }
  save();
  for (const stage of list(values.stages)) {
    if (!stages[stage]) {
      console.error(`--stages: unknown stage "${stage}"; use ${Object.keys(stages).join(', ')}`);
      process.exit(2);
    }
    console.log(`== ${stage}`);
    const before = results.rows.length;
    await stages[stage]();
    for (const r of results.rows.slice(before)) console.log(`  ${JSON.stringify(r)}`);
  }
}
const table = report();
if (!values['no-table']) process.stdout.write(`\n${table}`);
if (values.markdown) writeFileSync(values.markdown, table);
