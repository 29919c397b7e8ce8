import { summary as layerTable } from '@alexnet/layers';
import { createModel, listModels } from '@alexnet/models';
import { selectBackend } from '../backend.js';
import { UsageError } from '../errors.js';
import { helpText, printHelp } from '../help.js';
import { JSON_OPTION, type OptionTable, parseOptions, withDefaults } from '../options.js';
import { createOutput } from '../output.js';

const SUMMARY_OPTIONS = {
  imageSize: { type: 'integer', min: 1, default: 224, help: 'input side' },
  adaptivePool: {
    type: 'boolean',
    default: false,
    help: 'pool features to 6x6 (V1 / V2 then accept any side from 63)',
  },
  json: JSON_OPTION,
} as const satisfies OptionTable;

export const SUMMARY_HELP = helpText({
  usage: 'Usage: alexnet summary <model> [--image-size 224] [--adaptive-pool] [--json]',
  description: `Prints the layer table of a model: output shapes, parameters and multiply-adds. Models: ${listModels().join(', ')}.`,
  options: [SUMMARY_OPTIONS],
});

/** `alexnet summary <model>`: the layer table, as text or JSON. */
export async function summary(argv: string[]): Promise<number> {
  const parsed = parseOptions('summary', argv, SUMMARY_OPTIONS, { positionals: true });
  if (parsed.help) return printHelp(SUMMARY_HELP);
  const options = withDefaults(SUMMARY_OPTIONS, parsed.given);
  const name = parsed.positionals[0] ?? 'alexnet_v2';
  if (!listModels().includes(name))
    throw new UsageError(`summary: unknown model "${name}" (one of ${listModels().join(', ')})`);
  const size = options.imageSize;
  await selectBackend('cpu');
  const model = createModel(name, { seed: 0, adaptivePool: options.adaptivePool ? 6 : undefined });
  try {
    model.checkInput([1, size, size, 3]);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const table = layerTable(model, [size, size, 3], { title: name });
  if (options.json) {
    createOutput({}).json({
      model: name,
      inputShape: table.inputShape,
      rows: table.rows,
      totalParameters: table.totalParameters,
      totalMultiplyAdds: table.totalMultiplyAdds,
    });
  } else {
    process.stdout.write(`${table}\n`);
  }
  model.dispose();
  return 0;
}
