import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { RandomGenerator } from '@alexnet/layers';
import { readDevkitSynsets } from './devkit.js';

/** One image and its class index. */
export interface Sample {
  path: string;
  label: number;
}

/** How the images of a split are laid out on disk. */
export type Layout = 'class-folders' | 'flat-loc-csv' | 'flat-devkit';

/** A split of an image dataset: files with class indices, and the classes' ids and names. */
export interface ImageDataset {
  root: string;
  layout: Layout;
  /** Class ids in index order: ImageNet wnids, or folder names. */
  classes: string[];
  /** Readable class names in index order, when a synset mapping file gave them. */
  classNames: string[] | null;
  samples: Sample[];
}

/** File extensions read by default (sharp decodes them all), compared case-insensitively. */
export const IMAGE_EXTENSIONS = ['.jpeg', '.jpg', '.png', '.webp', '.tif', '.tiff', '.gif', '.avif', '.bmp'];

/** Options of {@link openDataset}. */
export interface OpenDatasetOptions {
  /**
   * Class ids in index order. Default: from a synset mapping file (`LOC_synset_mapping.txt` or `synsets.txt` in
   * the folder or its parent), else the sorted class folder names (of `train/` for a flat validation folder).
   */
  classes?: string[];
  /** Extensions to read (default {@link IMAGE_EXTENSIONS}). */
  extensions?: string[];
}

const SYNSET_FILES = ['LOC_synset_mapping.txt', 'synsets.txt', 'synset_words.txt'];
const LOC_CSV = 'LOC_val_solution.csv';
const DEVKIT_TRUTH = 'ILSVRC2012_validation_ground_truth.txt';
const DEVKIT_DIR = 'ILSVRC2012_devkit_t12';

/**
 * Opens one split of an image dataset, detecting its layout:
 * - class folders (`train/<wnid>/*.JPEG`, a regrouped `val/<wnid>/`, or anyone's `cats/`, `dogs/`);
 * - a flat ImageNet validation folder labelled by `LOC_val_solution.csv` (Kaggle layout; in the folder or its
 *   parent), whose first PredictionString token is the wnid, or by the devkit's
 *   `ILSVRC2012_validation_ground_truth.txt` and `meta.mat` (beside it, or in `ILSVRC2012_devkit_t12/data/`).
 * `dir` may also be an ImageNet root holding `train/`: then the train split is opened.
 */
export function openDataset(dir: string, options: OpenDatasetOptions = {}): ImageDataset {
  const root = resolve(dir);
  if (!existsSync(root)) throw new Error(`Dataset folder not found: ${root}`);
  if (!statSync(root).isDirectory()) throw new Error(`${root} is a file; expected a dataset folder`);
  const extensions = (options.extensions ?? IMAGE_EXTENSIONS).map((e) => e.toLowerCase());
  const entries = readdirSync(root, { withFileTypes: true });
  const folders = entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
  const images = entries
    .filter((e) => e.isFile() && extensions.includes(extname(e.name).toLowerCase()))
    .map((e) => e.name);

  if (folders.includes('train') && images.length === 0 && !hasImages(join(root, 'train'), extensions, false)) {
    return openDataset(join(root, 'train'), options);
  }
  const mapping = readSynsetMapping(root);
  if (images.length > 0 && folders.length === 0) {
    return openFlatValidation(
      root,
      images.sort(),
      options.classes ?? mapping?.ids ?? siblingTrainClasses(root),
      mapping,
    );
  }
  const classFolders = folders.filter((f) => hasImages(join(root, f), extensions, true));
  if (classFolders.length === 0) {
    throw new Error(
      `${root} has no images: expected class folders (train/<class>/*.JPEG) or a flat validation folder with ${LOC_CSV}`,
    );
  }
  const classes = options.classes ?? mapping?.ids.filter((id) => classFolders.includes(id)) ?? classFolders;
  const unknown = classFolders.filter((f) => !classes.includes(f));
  if (options.classes && unknown.length > 0) {
    throw new Error(`${root} has class folders missing from the class list: ${unknown.slice(0, 5).join(', ')}`);
  }
  const samples: Sample[] = [];
  classes.forEach((id, label) => {
    const folder = join(root, id);
    if (!existsSync(folder)) return;
    for (const file of listImages(folder, extensions)) samples.push({ path: join(folder, file), label });
  });
  return { root, layout: 'class-folders', classes, classNames: namesFor(classes, mapping), samples };
}

function openFlatValidation(
  root: string,
  images: string[],
  classes: string[] | null,
  mapping: SynsetMapping | null,
): ImageDataset {
  const labels = validationLabels(root);
  const names = mapping ?? labels.synsets ?? null;
  const order = classes ?? labels.synsets?.ids ?? null;
  if (!order) {
    throw new Error(`Cannot order the classes of ${root}: add ${SYNSET_FILES[0]} or a train/ folder beside it`);
  }
  const index = new Map(order.map((id, i) => [id, i]));
  const samples: Sample[] = [];
  const unlabelled: string[] = [];
  for (const file of images) {
    const wnid = labels.wnidOf.get(basename(file, extname(file)));
    const label = wnid === undefined ? undefined : index.get(wnid);
    if (label === undefined) unlabelled.push(file);
    else samples.push({ path: join(root, file), label });
  }
  if (unlabelled.length > 0) {
    throw new Error(
      `${labels.source} gives no known class for ${unlabelled.length} image(s) of ${root}, for example ${unlabelled[0]}`,
    );
  }
  return { root, layout: labels.layout, classes: order, classNames: namesFor(order, names), samples };
}

/** Where a flat validation folder's labels come from: image id (file name without extension) -> wnid. */
interface ValidationLabels {
  source: string;
  layout: Layout;
  wnidOf: Map<string, string>;
  /** The devkit's 1000 classes in wnid order, with their names, when the labels came from the devkit. */
  synsets?: SynsetMapping;
}

/**
 * `LOC_val_solution.csv` (Kaggle's layout; its first PredictionString token is the wnid) in the folder or its parent,
 * else the devkit's `ILSVRC2012_validation_ground_truth.txt` (line n: the ILSVRC id of ILSVRC2012_val_0000000n)
 * with the id -> wnid table of the `meta.mat` beside it, in the folder, its parent, or an extracted
 * `ILSVRC2012_devkit_t12/data/` there.
 */
function validationLabels(root: string): ValidationLabels {
  const csv = [join(root, LOC_CSV), join(dirname(root), LOC_CSV)].find(existsSync);
  if (csv) {
    const wnidOf = new Map<string, string>();
    for (const line of readFileSync(csv, 'utf8').split(/\r?\n/).slice(1)) {
      if (!line.trim()) continue;
      const [imageId, prediction = ''] = line.split(',');
      wnidOf.set(imageId.trim(), prediction.trim().split(/\s+/)[0]);
    }
    return { source: csv, layout: 'flat-loc-csv', wnidOf };
  }
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

interface SynsetMapping {
  ids: string[];
  names: Map<string, string>;
}

/** `LOC_synset_mapping.txt` / `synsets.txt` lines `<wnid> <names>`, in the folder or its parent. */
function readSynsetMapping(root: string): SynsetMapping | null {
  for (const folder of [root, dirname(root)]) {
    for (const file of SYNSET_FILES) {
      const path = join(folder, file);
      if (!existsSync(path)) continue;
      const ids: string[] = [];
      const names = new Map<string, string>();
      for (const line of readFileSync(path, 'utf8').split(/\r?\n/)) {
        const match = /^(\S+)\s*(.*)$/.exec(line.trim());
        if (!match) continue;
        ids.push(match[1]);
        if (match[2]) names.set(match[1], match[2]);
      }
      return { ids, names };
    }
  }
  return null;
}

function namesFor(classes: string[], mapping: SynsetMapping | null): string[] | null {
  if (!mapping || mapping.names.size === 0) return null;
  return classes.map((id) => mapping.names.get(id) ?? id);
}

function siblingTrainClasses(root: string): string[] | null {
  const train = join(dirname(root), 'train');
  if (!existsSync(train)) return null;
  return readdirSync(train, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

function listImages(folder: string, extensions: string[]): string[] {
  return readdirSync(folder, { withFileTypes: true })
    .filter((e) => e.isFile() && extensions.includes(extname(e.name).toLowerCase()))
    .map((e) => e.name)
    .sort();
}

function hasImages(folder: string, extensions: string[], deep: boolean): boolean {
  if (!existsSync(folder)) return false;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    if (entry.isFile() && extensions.includes(extname(entry.name).toLowerCase())) return true;
    if (deep && entry.isDirectory() && hasImages(join(folder, entry.name), extensions, false)) return true;
  }
  return false;
}

/** Options of {@link subset}. */
export interface SubsetOptions {
  /** Keep the first N classes (by index); labels stay the same. */
  classes?: number;
  /** Keep at most M images a class (the first M in file order, or a seeded sample with `seed`). */
  perClass?: number;
  /** Keep a seeded random sample of this many images in all. */
  sample?: number;
  /** Seed of the sampling (default: take the first ones). */
  seed?: number;
}

/** A smaller dataset for quick runs: the first N classes, M images a class, or a fixed seeded sample. */
export function subset(dataset: ImageDataset, options: SubsetOptions): ImageDataset {
  let samples = dataset.samples;
  let classes = dataset.classes;
  let classNames = dataset.classNames;
  if (options.classes !== undefined) {
    classes = classes.slice(0, options.classes);
    classNames = classNames?.slice(0, options.classes) ?? null;
    samples = samples.filter((s) => s.label < classes.length);
  }
  const rng = options.seed === undefined ? null : new RandomGenerator(options.seed);
  const pick = <T>(items: T[], count: number): T[] => {
    if (items.length <= count) return items;
    if (!rng) return items.slice(0, count);
    const copy = [...items];
    shuffleInPlace(copy, rng);
    return copy.slice(0, count);
  };
  if (options.perClass !== undefined) {
    const byClass = new Map<number, Sample[]>();
    for (const s of samples) {
      const list = byClass.get(s.label) ?? [];
      list.push(s);
      byClass.set(s.label, list);
    }
    samples = [...byClass.keys()]
      .sort((a, b) => a - b)
      .flatMap((label) => pick(byClass.get(label) ?? [], options.perClass as number));
  }
  if (options.sample !== undefined) samples = pick(samples, options.sample);
  return { ...dataset, classes, classNames, samples };
}

/** Fisher-Yates shuffle with a seeded generator. */
export function shuffleInPlace<T>(items: T[], rng: RandomGenerator): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}
