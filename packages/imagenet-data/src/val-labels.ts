import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readDevkitSynsets } from './devkit.js';

/**
 * Where a flat validation folder's labels come from: `LOC_val_solution.csv` (Kaggle's layout) or the devkit's
 * ground truth with its `meta.mat`, read strictly: a row that relabels an image is an error naming both lines, a
 * repeated or malformed row a warning with its line numbers.
 */

export const LOC_CSV = 'LOC_val_solution.csv';
const DEVKIT_TRUTH = 'ILSVRC2012_validation_ground_truth.txt';
const DEVKIT_DIR = 'ILSVRC2012_devkit_t12';

/** Class ids in index order, and readable names by id. */
export interface SynsetMapping {
  ids: string[];
  names: Map<string, string>;
  /** The file they came from. */
  source?: string;
}

/** A flat validation folder's labels: image id (file name without extension) -> wnid. */
export interface ValidationLabels {
  source: string;
  layout: 'flat-loc-csv' | 'flat-devkit';
  wnidOf: Map<string, string>;
  /** The devkit's 1000 classes in wnid order, with their names, when the labels came from the devkit. */
  synsets?: SynsetMapping;
}

/**
 * `LOC_val_solution.csv` (its first PredictionString token is the wnid) in the folder or its parent, else the
 * devkit's `ILSVRC2012_validation_ground_truth.txt` (line n: the ILSVRC id of ILSVRC2012_val_0000000n) with the
 * id -> wnid table of the `meta.mat` beside it, in the folder, its parent, or an extracted `ILSVRC2012_devkit_t12/data/`
 * there. Warnings (repeated rows, junk rows) go to `warnings`.
 */
export function validationLabels(root: string, warnings: string[]): ValidationLabels {
  const csv = [join(root, LOC_CSV), join(dirname(root), LOC_CSV)].find(existsSync);
  if (csv) return { source: csv, layout: 'flat-loc-csv', wnidOf: readLocCsv(csv, warnings) };
  const devkitFolders = [root, dirname(root)].flatMap((f) => [f, join(f, DEVKIT_DIR, 'data')]);
  const truth = devkitFolders.map((f) => join(f, DEVKIT_TRUTH)).find(existsSync);
  if (!truth) {
    throw new Error(
      `${root} holds images but no class folders, and neither ${LOC_CSV} nor the devkit's ${DEVKIT_TRUTH} beside it to label them`,
    );
  }
  const meta = join(dirname(truth), 'meta.mat');
  if (!existsSync(meta)) {
    throw new Error(
      `${truth} labels images by ILSVRC id, which needs the devkit's meta.mat beside it (${meta}) to map ids to wnids`,
    );
  }
  const synsets = readDevkitSynsets(meta);
  const wnidById = new Map(synsets.map((s) => [s.id, s.wnid]));
  const wnidOf = new Map<string, string>();
  readFileSync(truth, 'utf8')
    .split(/\r?\n/)
    .filter((line) => line.trim())
    .forEach((line, i) => {
      const wnid = wnidById.get(Number(line));
      if (!wnid) throw new Error(`${truth}:${i + 1}: ILSVRC id "${line.trim()}" is not in ${meta}`);
      wnidOf.set(`ILSVRC2012_val_${String(i + 1).padStart(8, '0')}`, wnid);
    });
  const leaves = synsets.filter((s) => s.numChildren === 0).sort((a, b) => (a.wnid < b.wnid ? -1 : 1));
  const names = new Map(leaves.map((s) => [s.wnid, s.words]));
  return { source: truth, layout: 'flat-devkit', wnidOf, synsets: { ids: leaves.map((s) => s.wnid), names } };
}

/**
 * `ImageId,PredictionString` rows. The same image twice with the same class is a warning; with another class an
 * error naming both lines (which label is right cannot be known); a row without an image id or a class a warning.
 */
function readLocCsv(csv: string, warnings: string[]): Map<string, string> {
  const wnidOf = new Map<string, string>();
  const firstLine = new Map<string, number>();
  const repeated: string[] = [];
  const junk: number[] = [];
  readFileSync(csv, 'utf8')
    .split(/\r?\n/)
    .forEach((line, i) => {
      const number = i + 1;
      if (!line.trim() || (i === 0 && /^\s*ImageId\s*,/i.test(line))) return;
      const comma = line.indexOf(',');
      const imageId = comma < 0 ? '' : line.slice(0, comma).trim();
      const wnid =
        comma < 0
          ? ''
          : line
              .slice(comma + 1)
              .trim()
              .split(/\s+/)[0];
      if (!imageId || !wnid || /[\s"]/.test(imageId)) {
        junk.push(number);
        return;
      }
      const before = wnidOf.get(imageId);
      if (before === undefined) {
        wnidOf.set(imageId, wnid);
        firstLine.set(imageId, number);
      } else if (before !== wnid) {
        throw new Error(
          `${csv}:${number}: ${imageId} is labelled ${wnid} here but ${before} at line ${firstLine.get(imageId)}: which is right?`,
        );
      } else {
        repeated.push(`${number} (${imageId}, as at line ${firstLine.get(imageId)})`);
      }
    });
  if (repeated.length > 0) {
    warnings.push(`${csv}: ${repeated.length} row(s) repeat an image with the same label, at line ${listed(repeated)}`);
  }
  if (junk.length > 0) {
    warnings.push(
      `${csv}: ${junk.length} row(s) without an image id and a class (ImageId,PredictionString), ignored: line ${listed(junk)}`,
    );
  }
  return wnidOf;
}

/** The first ten items, then how many more. */
export function listed(items: Array<string | number>): string {
  const shown = items.slice(0, 10).join(', ');
  return items.length > 10 ? `${shown} and ${items.length - 10} more` : shown;
}
