import { listModels } from '@alexnet/models';
import { releaseBackend } from './backend.js';
import { BENCH_HELP, bench } from './commands/bench.js';
import { CONVERT_HELP, convert } from './commands/convert.js';
import { DATA_HELP, data } from './commands/data.js';
import { EVAL_HELP, evalCommand } from './commands/eval.js';
import { PREDICT_HELP, predict } from './commands/predict.js';
import { SUMMARY_HELP, summary } from './commands/summary.js';
import { TRAIN_HELP, train } from './commands/train.js';
import { errorText, UsageError } from './errors.js';

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<number>; help: string; line: string }> = {
  train: { run: train, help: TRAIN_HELP, line: 'train a model (no --data: a quick demo on synthetic images)' },
  eval: { run: evalCommand, help: EVAL_HELP, line: 'top-1 / top-5 / loss on a dataset, centre crop or --ten-crop' },
  predict: { run: predict, help: PREDICT_HELP, line: 'the top classes of images' },
  summary: { run: summary, help: SUMMARY_HELP, line: 'the layer table of a model' },
  bench: { run: bench, help: BENCH_HELP, line: 'forward and training images/s on a backend' },
  convert: { run: convert, help: CONVERT_HELP, line: 'PyTorch .pth <-> .safetensors' },
  data: { run: data, help: DATA_HELP, line: 'synth: write the synthetic dataset; check <dir>: scan a dataset' },
};

const USAGE = `Usage: alexnet <command> [options]

${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(9)}${c.line}`)
  .join('\n')}

Models: ${listModels().join(', ')}. Backends: --backend auto | tensorflow-gpu | webgpu | tensorflow | native | wasm | cpu
(webgpu: --adapter <index|name> or ALEXNET_WEBGPU_ADAPTER).
Threads: ALEXNET_NATIVE_THREADS (native backend), ALEXNET_WASM_THREADS (wasm); default one a core.
'alexnet <command> --help' for a command's options; --debug shows stack traces.
`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE);
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-v') {
    const { createRequire } = await import('node:module');
    process.stdout.write(`${createRequire(import.meta.url)('../package.json').version}\n`);
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) throw new UsageError(`Unknown command "${name}". Commands: ${Object.keys(COMMANDS).join(', ')}`);
  try {
    return await command.run(rest);
  } finally {
    // A WebGPU device, where the command made one: destroyed, so the process ends by itself and frees the GPU.
    await releaseBackend();
  }
}

const debug = process.argv.includes('--debug');
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    process.stderr.write(`alexnet: ${errorText(error, debug)}\n`);
    process.exitCode = error instanceof UsageError ? error.exitCode : 1;
  },
);
