import { resolve } from 'node:path';
import { writeSyntheticDataset } from '@alexnet/imagenet-data';
import { UsageError } from '../../errors.js';
import { helpText, printHelp } from '../../help.js';
import { type OptionTable, parseOptions, withDefaults } from '../../options.js';

const DATA_SYNTH_OPTIONS = {
  out: { type: 'string', value: '<dir>', default: 'synthetic-imagenet', help: 'where to write it' },
  classes: { type: 'integer', min: 2, default: 4, help: 'shape classes' },
  trainPerClass: { type: 'integer', min: 1, default: 60, help: 'training images a class' },
  valPerClass: { type: 'integer', min: 1, default: 20, help: 'validation images a class' },
  // ImageNet's photos average about 400x350: --min-side 256 --max-side 500 gives the loader that much to decode.
  minSide: { type: 'integer', min: 8, default: 64, help: 'smallest image side' },
  maxSide: { type: 'integer', min: 8, default: 112, help: 'largest image side' },
  seed: { type: 'integer', default: 0, help: 'seed of the shapes' },
} as const satisfies OptionTable;

export const DATA_SYNTH_HELP = helpText({
  usage: 'Usage: alexnet data synth [options]',
  description: 'Writes the synthetic dataset (coloured shapes) in the ILSVRC-2012 layout.',
  options: [DATA_SYNTH_OPTIONS],
});

/** `alexnet data synth`: writes the synthetic dataset. */
export async function dataSynth(argv: string[]): Promise<number> {
  const parsed = parseOptions('data synth', argv, DATA_SYNTH_OPTIONS);
  if (parsed.help) return printHelp(DATA_SYNTH_HELP);
  const { out, minSide, maxSide, ...options } = withDefaults(DATA_SYNTH_OPTIONS, parsed.given);
  if (minSide > maxSide) throw new UsageError(`--min-side (${minSide}) is larger than --max-side (${maxSide})`);
  const root = resolve(out);
  const written = await writeSyntheticDataset(root, { ...options, sides: [minSide, maxSide] });
  process.stdout.write(
    `Wrote ${written.classes.length} classes (${written.classNames.join(', ')}) to ${root}: train/, val/, LOC_val_solution.csv, LOC_synset_mapping.txt\n`,
  );
  return 0;
}
