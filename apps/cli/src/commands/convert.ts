import { existsSync, realpathSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { readWeights, saveWeights } from '@alexnet/models';
import { selectBackend } from '../backend.js';
import { UsageError } from '../errors.js';
import { helpText, printHelp } from '../help.js';
import { checkFinite, modelFrom, modelOption } from '../load-model.js';
import { type OptionTable, parseOptions } from '../options.js';

const CONVERT_OPTIONS = {
  model: modelOption('record this model in the metadata, and check the tensors fit it'),
  overwrite: { type: 'boolean', default: false, help: 'replace the output file when it exists' },
} as const satisfies OptionTable;

export const CONVERT_HELP = helpText({
  usage: 'Usage: alexnet convert <input> <output> [--model <name>] [--overwrite]',
  description: `
Converts weights between PyTorch (.pth / .pt) and .safetensors, keeping PyTorch's names and layouts.
--model records the model's name, options and preprocessing in the .safetensors metadata (and checks the tensors
fit it).`,
  options: [CONVERT_OPTIONS],
});

/** `alexnet convert <input> <output>`: PyTorch <-> .safetensors, as a model's weights or as plain tensors. */
export async function convert(argv: string[]): Promise<number> {
  const parsed = parseOptions('convert', argv, CONVERT_OPTIONS, { positionals: true });
  if (parsed.help) return printHelp(CONVERT_HELP);
  const [input, output] = parsed.positionals;
  if (!input || !output) throw new UsageError('convert needs an input and an output file (see alexnet convert --help)');
  if (!existsSync(input)) throw new UsageError(`Weight file not found: ${input}`);
  if (!/\.(safetensors|pth|pt)$/.test(output))
    throw new UsageError(`${output}: the output must end in .safetensors, .pth or .pt`);
  checkOutput(input, output, parsed.given.overwrite ?? false);
  await selectBackend('cpu');
  const file = await readWeights(input);
  // Non-finite weights are converted (the file may be the evidence of a run gone wrong), with modelFrom's warning.
  const model = parsed.given.model ? await modelFrom({ model: parsed.given.model, weights: input }) : null;
  if (!model) checkFinite(file, input);
  if (model) {
    await saveWeights(model, output);
    model.dispose();
  } else {
    // No model named: copy the tensors as they are (a generic state dict).
    const { writePyTorch, writeSafetensors } = await import('@alexnet/torch-io');
    const { writeFile } = await import('node:fs/promises');
    const bytes = output.endsWith('.safetensors')
      ? writeSafetensors(file.tensors, { format: 'pt' })
      : writePyTorch(file.tensors);
    await writeFile(output, bytes);
  }
  process.stdout.write(`${input} (${file.format}, ${Object.keys(file.tensors).length} tensors) -> ${output}\n`);
  return 0;
}

/**
 * The output must go into an existing folder, and may replace a file only with --overwrite (never the input, and
 * never a folder): it was written over silently, and a missing folder gave Node's bare ENOENT.
 */
function checkOutput(input: string, output: string, overwrite: boolean): void {
  const folder = dirname(output);
  if (!existsSync(folder)) throw new UsageError(`${output}: the folder ${folder} does not exist`);
  if (!statSync(folder).isDirectory()) throw new UsageError(`${output}: ${folder} is not a folder`);
  if (!existsSync(output)) return;
  if (statSync(output).isDirectory()) throw new UsageError(`${output} is a folder, not a file to write`);
  if (realpathSync(output) === realpathSync(input)) {
    throw new UsageError(`${output} is the input file: write the conversion to another file`);
  }
  if (!overwrite) throw new UsageError(`${output} already exists: pass --overwrite to replace it`);
}
