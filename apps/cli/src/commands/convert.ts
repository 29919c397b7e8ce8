import { existsSync } from 'node:fs';
import { readWeights, saveWeights } from '@alexnet/models';
import { selectBackend } from '../backend.js';
import { UsageError } from '../errors.js';
import { helpText, printHelp } from '../help.js';
import { checkFinite, modelFrom } from '../load-model.js';
import { type OptionTable, parseOptions } from '../options.js';

const CONVERT_OPTIONS = {
  model: { type: 'string', value: '<name>', help: 'record this model in the metadata, and check the tensors fit it' },
} as const satisfies OptionTable;

export const CONVERT_HELP = helpText({
  usage: 'Usage: alexnet convert <input> <output> [--model <name>]',
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
