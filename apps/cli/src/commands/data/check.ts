import { checkDataset, type DatasetReport, openDataset } from '@alexnet/imagenet-data';
import { UsageError } from '../../errors.js';
import { helpText, printHelp } from '../../help.js';
import { JSON_OPTION, type OptionTable, parseOptions, withDefaults } from '../../options.js';
import { createOutput } from '../../output.js';

const DATA_CHECK_OPTIONS = {
  decode: {
    type: 'boolean',
    flag: 'no-decode',
    negated: true,
    default: true,
    help: 'read the headers only (faster; damaged image data goes unnoticed)',
  },
  json: JSON_OPTION,
} as const satisfies OptionTable;

export const DATA_CHECK_HELP = helpText({
  usage: 'Usage: alexnet data check <dir> [--no-decode] [--json]',
  description: `
Reports images per class, sizes, formats, CMYK / greyscale / misnamed files, JPEGs with damaged data that still
decode, and every file that cannot be decoded. Exits with 1 when there are bad files.`,
  options: [DATA_CHECK_OPTIONS],
});

/** `alexnet data check <dir>`: scans a dataset; exit code 1 when any file is bad. */
export async function dataCheck(argv: string[]): Promise<number> {
  const parsed = parseOptions('data check', argv, DATA_CHECK_OPTIONS, { positionals: true });
  if (parsed.help) return printHelp(DATA_CHECK_HELP);
  const options = withDefaults(DATA_CHECK_OPTIONS, parsed.given);
  if (!parsed.positionals[0]) throw new UsageError('data check needs a folder (see alexnet data --help)');
  const dataset = openDataset(parsed.positionals[0]);
  const report = await checkDataset(dataset, { decode: options.decode });
  if (options.json) createOutput({}).json(report);
  else printReport(report);
  return report.bad.length > 0 ? 1 : 0;
}

function printReport(report: DatasetReport): void {
  const out = process.stdout;
  out.write(`${report.root} (${report.layout}): ${report.images} images in ${report.perClass.length} classes\n`);
  const counts = report.perClass.map((c) => c.count);
  out.write(`images a class: ${Math.min(...counts)} to ${Math.max(...counts)}\n`);
  for (const c of report.perClass.slice(0, 20)) out.write(`  ${c.id}${c.name ? ` ${c.name}` : ''}: ${c.count}\n`);
  if (report.perClass.length > 20) out.write(`  ... ${report.perClass.length - 20} more classes\n`);
  const s = report.sizes;
  out.write(
    `sizes: width ${s.minWidth}-${s.maxWidth} (mean ${s.meanWidth.toFixed(0)}), height ${s.minHeight}-${s.maxHeight} (mean ${s.meanHeight.toFixed(0)})\n`,
  );
  out.write(
    `formats: ${Object.entries(report.formats)
      .map(([f, n]) => `${f} ${n}`)
      .join(', ')}\n`,
  );
  out.write(
    `CMYK: ${report.notes.cmyk.length}, greyscale: ${report.notes.greyscale.length}, misnamed: ${report.notes.misnamed.length}, damaged: ${report.notes.damaged.length}\n`,
  );
  for (const m of report.notes.misnamed) out.write(`  ${m.path} is ${m.format}\n`);
  for (const d of report.notes.damaged) out.write(`  ${d.path}: ${d.reason} (decoded as PIL would)\n`);
  out.write(`bad files: ${report.bad.length}\n`);
  for (const b of report.bad) out.write(`  ${b.path}: ${b.reason}\n`);
}
