import { resolve } from 'node:path';
import { checkDataset, type DatasetReport, MAX_IMAGE_PIXELS, openDataset, openSplits } from '@alexnet/imagenet-data';
import { UsageError } from '../../errors.js';
import { helpText, printHelp } from '../../help.js';
import { JSON_OPTION, type OptionTable, parseOptions, withDefaults } from '../../options.js';
import { createOutput, printable } from '../../output.js';

const DATA_CHECK_OPTIONS = {
  decode: {
    type: 'boolean',
    flag: 'no-decode',
    negated: true,
    default: true,
    help: 'read the headers only (faster; damaged image data goes unnoticed)',
  },
  maxImagePixels: {
    type: 'integer',
    min: 0,
    default: MAX_IMAGE_PIXELS,
    help: "refuse images declaring more pixels (Pillow's decompression-bomb limit); 0: no limit",
  },
  json: JSON_OPTION,
} as const satisfies OptionTable;

export const DATA_CHECK_HELP = helpText({
  usage: 'Usage: alexnet data check <dir> [--no-decode] [--max-image-pixels <n>] [--json]',
  description: `
Reports images per class, sizes, formats, CMYK / greyscale / misnamed files, JPEGs with damaged data that still
decode, every file that cannot be used (with why), and what opening the folder found odd (class folders without
images, repeated or malformed label rows). On an ImageNet root (train/ beside val/ and test/) it checks every split.
Exits with 1 when there are bad files or a split cannot be opened.`,
  options: [DATA_CHECK_OPTIONS],
});

/** One split's report, or why it could not be opened. */
type SplitResult = { split: string; report: DatasetReport } | { split: string; error: string };

/** `alexnet data check <dir>`: scans a dataset (every split of an ImageNet root); exit code 1 when any file is bad. */
export async function dataCheck(argv: string[]): Promise<number> {
  const parsed = parseOptions('data check', argv, DATA_CHECK_OPTIONS, { positionals: true });
  if (parsed.help) return printHelp(DATA_CHECK_HELP);
  const options = withDefaults(DATA_CHECK_OPTIONS, parsed.given);
  const dir = parsed.positionals[0];
  if (!dir) throw new UsageError('data check needs a folder (see alexnet data --help)');
  const check = {
    decode: options.decode,
    maxImagePixels: options.maxImagePixels === 0 ? Number.POSITIVE_INFINITY : options.maxImagePixels,
  };
  // Warnings go into each report (and are printed with it), not to stderr as well.
  const quiet = { onWarning: () => {} };
  const splits = openSplits(dir, quiet);
  if (!splits) {
    const report = await checkDataset(openDataset(dir, quiet), check);
    if (options.json) createOutput({}).json(report);
    else printReport(report);
    return report.bad.length > 0 ? 1 : 0;
  }
  const results: SplitResult[] = [];
  for (const split of splits) {
    if ('error' in split) results.push({ split: split.name, error: split.error.message });
    else results.push({ split: split.name, report: await checkDataset(split.dataset, check) });
  }
  if (options.json) {
    createOutput({}).json({
      root: resolve(dir),
      splits: results.map((r) => ('report' in r ? { split: r.split, ...r.report } : r)),
    });
  } else {
    for (const result of results) {
      process.stdout.write(`== ${result.split} ==\n`);
      if ('report' in result) printReport(result.report);
      else process.stdout.write(`cannot be opened: ${result.error}\n`);
    }
  }
  return results.some((r) => 'error' in r || r.report.bad.length > 0) ? 1 : 0;
}

function printReport(report: DatasetReport): void {
  const out = process.stdout;
  const labelled = report.layout !== 'flat-unlabelled';
  out.write(
    `${report.root} (${report.layout}): ${report.images} images${labelled ? ` in ${report.perClass.length} classes` : ', no labels'}\n`,
  );
  if (labelled && report.perClass.length > 0) {
    const counts = report.perClass.map((c) => c.count);
    out.write(`images a class: ${Math.min(...counts)} to ${Math.max(...counts)}\n`);
    for (const c of report.perClass.slice(0, 20)) {
      out.write(`  ${printable(c.id)}${c.name ? ` ${printable(c.name)}` : ''}: ${c.count}\n`);
    }
    if (report.perClass.length > 20) out.write(`  ... ${report.perClass.length - 20} more classes\n`);
  }
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
  for (const m of report.notes.misnamed) out.write(`  ${printable(m.path)} is ${m.format}\n`);
  for (const d of report.notes.damaged) out.write(`  ${printable(d.path)}: ${d.reason} (decoded as PIL would)\n`);
  out.write(`warnings: ${report.warnings.length}\n`);
  for (const w of report.warnings) out.write(`  ${printable(w)}\n`);
  out.write(`bad files: ${report.bad.length}\n`);
  for (const b of report.bad) out.write(`  ${printable(b.path)}: ${printable(b.reason)}\n`);
}
