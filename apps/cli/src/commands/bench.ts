import { type AlexNet, createModel } from '@alexnet/models';
import { SGD, softmaxCrossEntropy, variableGrads } from '@alexnet/trainer';
import * as tf from '@tensorflow/tfjs-core';
import { type BackendInfo, selectBackend } from '../backend.js';
import { kernelFlops } from '../bench/flops.js';
import { machinePeak, type PeakEstimate } from '../bench/peak.js';
import { helpText, printHelp } from '../help.js';
import {
  ADAPTER_OPTION,
  BACKEND_OPTION,
  JSON_OPTION,
  type OptionTable,
  parseOptions,
  WIDTH_OPTION,
  withDefaults,
} from '../options.js';
import { createOutput } from '../output.js';

const BENCH_OPTIONS = {
  model: { type: 'string', value: '<name>', default: 'alexnet_v2', help: 'the architecture' },
  batchSize: { type: 'integers', value: '<n,...>', min: 1, default: [32], help: 'batch sizes to measure' },
  steps: { type: 'integer', min: 1, default: 5, help: 'timed steps, after one warm-up step' },
  imageSize: { type: 'integer', min: 1, default: 224, help: 'input side' },
  adaptivePool: { type: 'boolean', default: false, help: 'pool features to 6x6 (V1 / V2 then accept small inputs)' },
  width: WIDTH_OPTION,
  profile: { type: 'boolean', default: false, help: 'add one profiled training step: the time of each TF.js kernel' },
  backend: BACKEND_OPTION,
  adapter: ADAPTER_OPTION,
  json: JSON_OPTION,
} as const satisfies OptionTable;

export const BENCH_HELP = helpText({
  usage:
    'Usage: alexnet bench [--model alexnet_v2] [--batch-size 32[,128]] [--steps 5] [--image-size 224] [--backend auto] [--json] [--profile]',
  description: `
Forward and training images/s of a model on the chosen backend (random data, one SGD step per training step).
--json prints { backend, model, batchSize, forward: { imagesPerSecond }, train: { imagesPerSecond }, peakRssMB } per batch size;
on webgpu also gpuPoolMB (TF.js's GPU buffer pool, the process's peak so far) and webgpuKernels (which kernel set ran).
--profile adds one profiled training step: the time of each TF.js kernel, largest first, and for the convolutions and
matrix products their GFLOP/s and share of the CPU's fp32 peak (an estimate: ISA x threads x clock x FMA units a
core, assumed) and, on native, of the measured ceiling (independent FMA chains on every thread); --json adds
kernels [{ name, ms, calls, gflops?, peakShare?, measuredPeakShare? }], peakGflops and measuredPeakGflops { gflops, basis }.`,
  options: [BENCH_OPTIONS],
});

/** Each kernel's time in one step; GFLOP/s where its FLOPs are counted, its share of the peak where there is one. */
type KernelTimes = Array<{
  name: string;
  ms: number;
  calls: number;
  gflops?: number;
  peakShare?: number;
  measuredPeakShare?: number;
}>;

/** The two yardsticks: the estimate from ISA, threads and reported clock, and (native) the measured FMA ceiling. */
interface Peaks {
  estimate?: PeakEstimate;
  measured?: PeakEstimate;
}

/** `alexnet bench`: forward and training images/s at each batch size. */
export async function bench(argv: string[]): Promise<number> {
  const parsed = parseOptions('bench', argv, BENCH_OPTIONS);
  if (parsed.help) return printHelp(BENCH_HELP);
  const options = withDefaults(BENCH_OPTIONS, parsed.given);
  const backend = await selectBackend(options.backend, { adapter: options.adapter });
  const side = options.imageSize;
  const model = createModel(options.model, {
    seed: 0,
    init: 'pytorch',
    adaptivePool: options.adaptivePool ? 6 : undefined,
    width: options.width,
  });
  model.checkInput([1, side, side, 3]);
  const optimizer = new SGD(model, { lr: 1e-4, momentum: 0.9, weightDecay: 5e-4 });
  const webgpuKernels = backend.name === 'webgpu' ? await webGpuKernelsInUse() : undefined;
  // Only CPU backends with vector kernels have a peak to compare with (a GPU's is not estimated here).
  const peak: Peaks = {
    estimate: options.profile && backend.cpu ? machinePeak(backend.cpu.threads, backend.cpu.isa) : undefined,
    measured: options.profile && backend.name === 'native' ? await measuredPeak() : undefined,
  };
  for (const batchSize of options.batchSize) {
    const { forward, train, kernels } = await measure(model, optimizer, {
      batchSize,
      side,
      steps: options.steps,
      profile: options.profile,
      peak,
    });
    const result = {
      backend: backend.name,
      device: backend.device,
      model: options.model,
      imageSize: side,
      batchSize,
      forward: { imagesPerSecond: forward },
      train: { imagesPerSecond: train },
      peakRssMB: process.resourceUsage().maxRSS / 1024,
      ...gpuPool(),
      ...(webgpuKernels ? { webgpuKernels } : {}),
      ...(kernels ? { kernels } : {}),
      ...(kernels && peak.estimate ? { peakGflops: peak.estimate } : {}),
      ...(kernels && peak.measured ? { measuredPeakGflops: peak.measured } : {}),
    };
    if (options.json) createOutput({}).json(result);
    else printResult(result, backend, kernels, peak);
  }
  optimizer.dispose();
  model.dispose();
  return 0;
}

/**
 * The GPU memory TF.js holds, in MB, on backends that report it (webgpu): its buffer pool. Freed buffers stay in the
 * pool for reuse and are destroyed only with the backend, so the pool's size after a run is the peak of the process.
 */
function gpuPool(): { gpuPoolMB?: number } {
  const bytes = (tf.memory() as { numBytesAllocatedInGPU?: number }).numBytesAllocatedInGPU;
  return typeof bytes === 'number' ? { gpuPoolMB: bytes / 2 ** 20 } : {};
}

/** Which WebGPU kernels run: this project's (`alexnet`, with the kernel names it replaces) or TF.js's (`stock`). */
async function webGpuKernelsInUse(): Promise<{ set: string; replaced: string[] }> {
  const webgpu = await import('@alexnet/tfjs-backend-webgpu');
  const set = webgpu.webGpuKernelSet();
  return { set, replaced: set === 'alexnet' ? webgpu.listWebGpuKernels() : [] };
}

/** Images/s of `steps` forward passes and of `steps` training steps on random data, after one warm-up each. */
async function measure(
  model: AlexNet,
  optimizer: SGD,
  run: { batchSize: number; side: number; steps: number; profile: boolean; peak: Peaks },
): Promise<{ forward: number; train: number; kernels?: KernelTimes }> {
  const { batchSize, side, steps } = run;
  const parameters = model.namedParameters();
  const nameOf = new Map(parameters.map(([n, v]) => [v.name, n]));
  const x = tf.randomNormal([batchSize, side, side, 3]);
  const labels = tf.tensor1d(
    Array.from({ length: batchSize }, (_, i) => i % 1000),
    'int32',
  );
  const time = async (step: () => tf.Tensor) => {
    // Warm-up: kernels compile, memory is allocated.
    const warm = step();
    await warm.data();
    warm.dispose();
    const start = performance.now();
    for (let i = 0; i < steps; i++) {
      const out = step();
      await out.data();
      out.dispose();
    }
    return (batchSize * steps) / ((performance.now() - start) / 1000);
  };
  model.eval();
  const forward = await time(() => tf.tidy(() => model.forward(x)));
  model.train();
  const trainStep = () => {
    const { value, grads } = variableGrads(
      () => softmaxCrossEntropy(model.forward(x), labels),
      parameters.map(([, v]) => v),
    );
    optimizer.step(Object.fromEntries(Object.entries(grads).map(([id, g]) => [nameOf.get(id) as string, g])));
    tf.dispose(Object.values(grads));
    return value;
  };
  const train = await time(trainStep);
  const kernels = run.profile ? await profileKernels(trainStep, run.peak) : undefined;
  tf.dispose([x, labels]);
  return { forward, train, kernels };
}

function printResult(
  result: {
    model: string;
    batchSize: number;
    imageSize: number;
    peakRssMB: number;
    gpuPoolMB?: number;
    forward: { imagesPerSecond: number };
    train: { imagesPerSecond: number };
  },
  backend: BackendInfo,
  kernels: KernelTimes | undefined,
  peak: Peaks,
): void {
  const side = result.imageSize;
  const pool = result.gpuPoolMB === undefined ? '' : `, GPU pool ${result.gpuPoolMB.toFixed(0)} MB`;
  process.stdout.write(
    `${result.model} on ${backend.name} (${backend.device}), batch ${result.batchSize}, ${side}x${side}: forward ${result.forward.imagesPerSecond.toFixed(2)} img/s, training ${result.train.imagesPerSecond.toFixed(2)} img/s, peak RSS ${result.peakRssMB.toFixed(0)} MB${pool}\n`,
  );
  if (!kernels) return;
  const total = kernels.reduce((sum, k) => sum + k.ms, 0);
  process.stdout.write(`one training step by kernel (${total.toFixed(0)} ms in kernels):\n`);
  if (peak.estimate)
    process.stdout.write(`fp32 peak ${peak.estimate.gflops.toFixed(0)} GFLOP/s (${peak.estimate.basis})\n`);
  if (peak.measured) {
    process.stdout.write(`measured fp32 ceiling ${peak.measured.gflops.toFixed(0)} GFLOP/s (${peak.measured.basis})\n`);
  }
  for (const k of kernels.slice(0, 15)) {
    const calls = `${k.calls} calls`.padEnd(9);
    const rate = k.gflops === undefined ? '' : `${k.gflops.toFixed(1).padStart(7)} GFLOP/s`;
    const share = k.peakShare === undefined ? '' : `  ${(100 * k.peakShare).toFixed(1).padStart(5)}% of peak`;
    const measured =
      k.measuredPeakShare === undefined ? '' : `  ${(100 * k.measuredPeakShare).toFixed(1).padStart(5)}% of measured`;
    const line = `  ${k.name.padEnd(28)} ${k.ms.toFixed(1).padStart(8)} ms  ${calls} ${rate}${share}${measured}`;
    process.stdout.write(`${line.trimEnd()}\n`);
  }
  // Virtual machines report the nominal clock in /proc/cpuinfo, and turbo runs above it: a share over 100% says so.
  if (kernels.some((k) => (k.peakShare ?? 0) > 1)) {
    process.stdout.write('  (a share over 100% of peak: the cores run faster than the reported clock, e.g. turbo)\n');
  }
  // FLOPs are counted as the direct convolution's; Winograd (native) does fewer multiplications for the same result.
  if (kernels.some((k) => (k.measuredPeakShare ?? 0) > 1)) {
    process.stdout.write(
      '  (over 100% of measured: FLOPs are counted as a direct convolution does them; Winograd does fewer)\n',
    );
  }
}

/** The native backend's measured FMA ceiling (independent FMA chains on every thread, no memory traffic). */
async function measuredPeak(): Promise<PeakEstimate> {
  const native = await import('@alexnet/tfjs-backend-native');
  const { gflops, isa, threads } = native.measureNativePeak();
  return { gflops, basis: `measured: ${threads} threads x 12 independent FMA chains (${isa}), no memory traffic` };
}

/**
 * Runs one step under tf.profile and sums each kernel's time (the ops' wrapper entries, `*__op`, are left out), and
 * its FLOPs where every call's are countable: GFLOP/s is the sum of FLOPs over the sum of times.
 */
async function profileKernels(step: () => tf.Tensor, peak: Peaks): Promise<KernelTimes> {
  const info = await tf.profile(() => {
    step().dispose();
  });
  const byName = new Map<string, { ms: number; calls: number; flops: number | undefined }>();
  for (const kernel of info.kernels) {
    if (kernel.name.endsWith('__op')) continue;
    const ms = await kernel.kernelTimeMs;
    const flops = kernelFlops(kernel.name, kernel.inputShapes, kernel.outputShapes);
    const entry = byName.get(kernel.name) ?? { ms: 0, calls: 0, flops: 0 };
    entry.ms += typeof ms === 'number' ? ms : 0;
    entry.calls += 1;
    entry.flops = entry.flops === undefined || flops === undefined ? undefined : entry.flops + flops;
    byName.set(kernel.name, entry);
  }
  return [...byName]
    .map(([name, { ms, calls, flops }]) => {
      if (flops === undefined || ms <= 0) return { name, ms, calls };
      const gflops = flops / ms / 1e6;
      return {
        name,
        ms,
        calls,
        gflops,
        ...(peak.estimate ? { peakShare: gflops / peak.estimate.gflops } : {}),
        ...(peak.measured ? { measuredPeakShare: gflops / peak.measured.gflops } : {}),
      };
    })
    .sort((a, b) => b.ms - a.ms);
}
