import { UsageError } from '../errors.js';
import { printHelp } from '../help.js';
import { DATA_CHECK_HELP, dataCheck } from './data/check.js';
import { DATA_SYNTH_HELP, dataSynth } from './data/synth.js';

const SUBCOMMANDS: Record<string, (argv: string[]) => Promise<number>> = { synth: dataSynth, check: dataCheck };

export const DATA_HELP = `Usage: alexnet data synth [options]
       alexnet data check <dir> [options]

synth writes the synthetic dataset in the ILSVRC-2012 layout; check scans a dataset for bad files.

${DATA_SYNTH_HELP}
${DATA_CHECK_HELP}`;

/** `alexnet data <synth|check>`. */
export async function data(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const run = sub !== undefined && Object.hasOwn(SUBCOMMANDS, sub) ? SUBCOMMANDS[sub] : undefined;
  if (run) return run(rest);
  if (sub === '--help' || sub === '-h') return printHelp(DATA_HELP);
  // No subcommand is a mistake, as no command is: the usage, and exit 2.
  if (sub === undefined) {
    printHelp(DATA_HELP);
    return 2;
  }
  throw new UsageError(`Unknown data command "${sub}": use synth or check`);
}
