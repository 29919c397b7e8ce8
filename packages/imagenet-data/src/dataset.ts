import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { RandomGenerator } from '@alexnet/layers';
import { type FolderEntry, readFolder } from './folder.js';
import { LOC_CSV, listed, type SynsetMapping, validationLabels } from './val-labels.js';

/** One image and its class index. */
export interface Sample {
  path: string;
  /** The class index; -1 in a split without labels (`flat-unlabelled`). */
  label: number;
  /** The path's bytes, where a name in it is not valid UTF-8: they open the file, which `path` only shows. */
  file?: Uint8Array;
}

/** How the images of a split are laid out on disk. */
export type Layout = 'class-folders' | 'flat-loc-csv' | 'flat-devkit' | 'flat-unlabelled';

/** A split of an image dataset: files with class indices, and the classes' ids and names. */
export interface ImageDataset {
  root: string;
  layout: Layout;
  /** Class ids in index order: ImageNet wnids, or folder names. */
  classes: string[];
  /** Readable class names in index order, when a synset mapping file gave them. */
  classNames: string[] | null;
  samples: Sample[];
  /**
   * What opening the split found but did not use, each naming the file or folder: class folders without images,
   * images in no class, repeated or malformed label rows, dangling links where a class folder may have been.
   */
  warnings?: string[];
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
  /**
   * Read a flat folder without labels (ImageNet's test split): every label is -1 and the layout `flat-unlabelled`.
   * Default false: a flat folder with nothing to label it is an error.
   */
  unlabelled?: boolean;
  /** Called with each warning, which the dataset's `warnings` also hold (default: a process warning, `ALEXNET_DATASET`). */
  onWarning?: (message: string) => void;
}

const SYNSET_FILES = ['LOC_synset_mapping.txt', 'synsets.txt', 'synset_words.txt'];

/**
 * Opens one split of an image dataset, detecting its layout:
 * - class folders (`train/<wnid>/*.JPEG`, a regrouped `val/<wnid>/`, or anyone's `cats/`, `dogs/`);
 * - a flat ImageNet validation folder labelled by `LOC_val_solution.csv` (Kaggle layout; in the folder or its
 *   parent), whose first PredictionString token is the wnid, or by the devkit's
 *   `ILSVRC2012_validation_ground_truth.txt` and `meta.mat` (beside it, or in `ILSVRC2012_devkit_t12/data/`).
 * `dir` may also be an ImageNet root holding `train/`: then the train split is opened ({@link openSplits} opens
 * them all). Symbolic links to images and to class folders are followed, as torchvision's `ImageFolder` does; a
 * dangling link, FIFO or other non-file with an image's name is kept as a sample, which the loader and
 * {@link checkDataset} then report as a bad file with what it is. Names that are not valid UTF-8 are read as bytes.
 */
export function openDataset(dir: string, options: OpenDatasetOptions = {}): ImageDataset {
  const root = resolve(dir);
  if (!existsSync(root)) throw new Error(`Dataset folder not found: ${root}`);
  if (!statSync(root).isDirectory()) throw new Error(`${root} is a file; expected a dataset folder`);
  const extensions = extensionsOf(options);
  const listing = listSplit(root, extensions);
  if (isImageNetRoot(listing, extensions)) return openDataset(join(root, 'train'), options);
  const warnings: string[] = [];
  const dataset =
    listing.images.length > 0 && listing.folders.length === 0
      ? openFlatFolder(root, listing.images, options, warnings)
      : openClassFolders(root, listing, extensions, options, warnings);
  const warn = options.onWarning ?? ((message: string) => process.emitWarning(message, { code: 'ALEXNET_DATASET' }));
  for (const message of warnings) warn(message);
  return { ...dataset, warnings };
}

/**
 * Whether `dir` is an ImageNet root (a folder holding `train/` of class folders and no images of its own), which
 * {@link openDataset} opens as its train split: an evaluation given such a root would otherwise score training images.
 */
export function isImageNetRootFolder(dir: string, options: OpenDatasetOptions = {}): boolean {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) return false;
  const extensions = extensionsOf(options);
  return isImageNetRoot(listSplit(root, extensions), extensions);
}

/** One split of an ImageNet root, by its folder name. */
export interface DatasetSplit {
  name: 'train' | 'val' | 'test';
  dataset: ImageDataset;
}

/**
 * Every split of an ImageNet root (a folder holding `train/` of class folders, with `val/` and `test/` beside it
 * where they exist), each opened as {@link openDataset} opens it: `val/` and `test/` with train's classes, a flat
 * `test/` without labels. Null when `dir` is not such a root. A split that cannot be opened gives its error in place
 * of its dataset.
 */
export function openSplits(
  dir: string,
  options: OpenDatasetOptions = {},
): Array<DatasetSplit | { name: DatasetSplit['name']; error: Error }> | null {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) return null;
  const extensions = extensionsOf(options);
  const listing = listSplit(root, extensions);
  if (!isImageNetRoot(listing, extensions)) return null;
  const train = openDataset(join(root, 'train'), options);
  const splits: Array<DatasetSplit | { name: DatasetSplit['name']; error: Error }> = [
    { name: 'train', dataset: train },
  ];
  for (const name of ['val', 'test'] as const) {
    const folder = listing.folders.find((f) => f.name === name);
    if (!folder) continue;
    try {
      const classes = options.classes ?? train.classes;
      splits.push({ name, dataset: openDataset(folder.path, { ...options, classes, unlabelled: name === 'test' }) });
    } catch (error) {
      splits.push({ name, error: error as Error });
    }
  }
  return splits;
}

/** A folder's class folder candidates (not hidden) and its images (or what has an image's name), sorted by name. */
interface SplitListing {
  folders: FolderEntry[];
  images: FolderEntry[];
}

function listSplit(root: string, extensions: string[]): SplitListing {
  const entries = readFolder(root).sort(byName);
  const folders = entries.filter((e) => e.kind === 'directory' && !e.name.startsWith('.'));
  const images = entries.filter((e) => e.kind !== 'directory' && isImageName(e.name, extensions));
  return { folders, images };
}

/** A root holding `train/` whose own entries are class folders, and no images of its own. */
function isImageNetRoot(listing: SplitListing, extensions: string[]): boolean {
  const train = listing.folders.find((f) => f.name === 'train');
  return train !== undefined && listing.images.length === 0 && listImages(train, extensions).length === 0;
}

function openClassFolders(
  root: string,
  listing: SplitListing,
  extensions: string[],
  options: OpenDatasetOptions,
  warnings: string[],
): Omit<ImageDataset, 'warnings'> {
  const mapping = readSynsetMapping(root);
  const imagesOf = new Map(listing.folders.map((f) => [f.name, listImages(f, extensions)]));
  const classFolders = listing.folders.map((f) => f.name).filter((name) => (imagesOf.get(name) ?? []).length > 0);
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
  if (unknown.length > 0) {
    warnings.push(`${root}: ${unknown.length} class folder(s) not in ${mapping?.source}, left out: ${listed(unknown)}`);
  }
  warnings.push(...classFolderWarnings(root, listing, imagesOf, classes, extensions));
  const samples: Sample[] = [];
  classes.forEach((id, label) => {
    for (const image of imagesOf.get(id) ?? []) samples.push(sampleOf(image, label));
  });
  return { root, layout: 'class-folders', classes, classNames: namesFor(classes, mapping), samples };
}

/** Folders without images, images beside the class folders, dangling links where a class folder may have been. */
function classFolderWarnings(
  root: string,
  listing: SplitListing,
  imagesOf: Map<string, FolderEntry[]>,
  classes: string[],
  extensions: string[],
): string[] {
  const warnings: string[] = [];
  for (const folder of listing.folders) {
    if ((imagesOf.get(folder.name) ?? []).length > 0) {
      // Subfolders of a class folder are not read (torchvision's ImageFolder would read them): said, not silent.
      const subfolders = readFolder(folder).filter((e) => e.kind === 'directory' && !e.name.startsWith('.'));
      if (subfolders.length > 0) {
        const names = listed(subfolders.map((e) => e.name).sort());
        warnings.push(`${folder.path}: ${subfolders.length} subfolder(s) of a class folder, not read: ${names}`);
      }
      continue;
    }
    const deeper = readFolder(folder).some((e) => e.kind === 'directory' && listImages(e, extensions).length > 0);
    const where = deeper ? ' (only in its subfolders, which are not read)' : '';
    const outcome = classes.includes(folder.name)
      ? `class ${classes.indexOf(folder.name)} has no samples`
      : 'left out of the classes';
    warnings.push(`${folder.path}: a class folder with no images${where}: ${outcome}`);
  }
  if (listing.images.length > 0) {
    warnings.push(
      `${root}: ${listing.images.length} image(s) beside the class folders, in no class, are left out: ${listed(listing.images.map((i) => i.name))}`,
    );
  }
  for (const entry of readFolder(root)) {
    if (entry.kind === 'dangling' && !isImageName(entry.name, extensions)) {
      warnings.push(`${entry.path}: a dangling symbolic link (a class folder that is gone?), ignored`);
    }
  }
  return warnings;
}

function openFlatFolder(
  root: string,
  images: FolderEntry[],
  options: OpenDatasetOptions,
  warnings: string[],
): Omit<ImageDataset, 'warnings'> {
  const mapping = readSynsetMapping(root);
  if (options.unlabelled) {
    const classes = options.classes ?? mapping?.ids ?? siblingTrainClasses(root) ?? [];
    const samples = images.map((image) => sampleOf(image, -1));
    return { root, layout: 'flat-unlabelled', classes, classNames: namesFor(classes, mapping), samples };
  }
  const labels = validationLabels(root, warnings);
  const names = mapping ?? labels.synsets ?? null;
  const order = options.classes ?? mapping?.ids ?? siblingTrainClasses(root) ?? labels.synsets?.ids ?? null;
  if (!order) {
    throw new Error(`Cannot order the classes of ${root}: add ${SYNSET_FILES[0]} or a train/ folder beside it`);
  }
  const index = new Map(order.map((id, i) => [id, i]));
  const samples: Sample[] = [];
  const unlabelled: string[] = [];
  for (const image of images) {
    const wnid = labels.wnidOf.get(basename(image.name, extname(image.name)));
    const label = wnid === undefined ? undefined : index.get(wnid);
    if (label === undefined) unlabelled.push(image.name);
    else samples.push(sampleOf(image, label));
  }
  if (unlabelled.length > 0) {
    throw new Error(
      `${labels.source} gives no known class for ${unlabelled.length} image(s) of ${root}, for example ${unlabelled[0]}`,
    );
  }
  return { root, layout: labels.layout, classes: order, classNames: namesFor(order, names), samples };
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
      return { ids, names, source: path };
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
  return readFolder(train)
    .filter((e) => e.kind === 'directory')
    .map((e) => e.name)
    .sort();
}

function extensionsOf(options: OpenDatasetOptions): string[] {
  return (options.extensions ?? IMAGE_EXTENSIONS).map((e) => e.toLowerCase());
}

function isImageName(name: string, extensions: string[]): boolean {
  return extensions.includes(extname(name).toLowerCase());
}

/** A folder's images (links followed; anything else with an image's name too, to be reported), sorted by name. */
function listImages(folder: FolderEntry, extensions: string[]): FolderEntry[] {
  return readFolder(folder)
    .filter((e) => e.kind !== 'directory' && isImageName(e.name, extensions))
    .sort(byName);
}

function byName(a: FolderEntry, b: FolderEntry): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function sampleOf(entry: FolderEntry, label: number): Sample {
  return entry.file ? { path: entry.path, label, file: entry.file } : { path: entry.path, label };
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
