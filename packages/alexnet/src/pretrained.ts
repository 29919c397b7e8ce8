/**
 * The table of known weights, beside the architectures: torchvision's `Weights` / `WeightsEnum` and timm's
 * pretrained cfgs as plain data. An entry says where a file comes from, how to check it, how to prepare images for
 * it, what its classes are and how well it does, with the source of every number.
 */
import { IMAGENET_CLASS_NAMES } from './classes.js';
import { IMAGENET_PREPROCESSING, type Preprocessing } from './preprocessing.js';
import { getModelBuilder, listModels } from './registry.js';

/** Where a weight file comes from: `downloadWeights` / `createPretrainedModel` fetch and cache it from `url`. */
export interface WeightsFileSource {
  /** Where the publisher serves the file, or null when it is not online. */
  url: string | null;
  /** The file's name as published (torch.hub caches it under this name). */
  fileName: string;
  format: 'pytorch' | 'safetensors';
  /** The file's size in bytes, when known. */
  bytes: number | null;
}

/** The SHA-256 of a weight file, and how much of it is known. */
export interface WeightsSha256 {
  /** Lower-case hex: all 64 digits when {@link WeightsSha256.complete}, else the known leading digits. */
  hex: string;
  /** False when only a prefix is known (such as the 8 digits torchvision puts in its file names). */
  complete: boolean;
  /** Where the digits come from. */
  source: string;
}

/** Accuracy of a set of weights on a data set, with who measured it. */
export interface WeightsMetrics {
  /** The data set and split: `ImageNet-1K val` (the 50,000 ILSVRC-2012 validation images). */
  dataset: string;
  /** Top-1 accuracy in percent (torchvision's `acc@1`). */
  top1: number;
  /** Top-5 accuracy in percent (torchvision's `acc@5`). */
  top5: number;
  /** Where the numbers come from, and with which preprocessing they were measured. */
  source: string;
}

/** One entry of the weights table (torchvision's `Weights`, timm's pretrained cfg). */
export interface PretrainedWeights {
  /** `<model>.<name>`, as timm tags weights: `alexnet_torchvision.IMAGENET1K_V1`. */
  readonly tag: string;
  /** Registry name of the model the weights are for. */
  readonly model: string;
  /** The weights' name, torchvision's enum member: `IMAGENET1K_V1`. */
  readonly name: string;
  /** One line: what the weights are. */
  readonly description: string;
  /** Options to build the model with so the file loads (none for torchvision's own). */
  readonly modelOptions: Readonly<Record<string, unknown>>;
  readonly source: Readonly<WeightsFileSource>;
  readonly sha256: Readonly<WeightsSha256>;
  /** How images must be prepared (torchvision's `transforms` preset). */
  readonly preprocessing: Readonly<Preprocessing>;
  /** The classes' readable names in index order (torchvision's `categories`). */
  readonly classNames: readonly string[];
  readonly metrics: readonly Readonly<WeightsMetrics>[];
  /** Parameters of the model with these weights (torchvision's `num_params`). */
  readonly numParameters: number;
  /** The smallest input side the model accepts (torchvision's `min_size`). */
  readonly minInputSize: number;
  /** How the weights were trained, when the publisher says (torchvision's `recipe`). */
  readonly recipe: string | null;
  /** The weights' licence, when the publisher gives one for the file itself; null when it does not. */
  readonly license: string | null;
}

/** Fields of an entry; the tag is made from model and name. */
export type PretrainedWeightsInit = Omit<PretrainedWeights, 'tag'>;

const TORCHVISION_ALEXNET_DOCS = 'https://pytorch.org/vision/stable/models/generated/torchvision.models.alexnet.html';

/**
 * torchvision's weights for `alexnet_torchvision`, by torchvision's names:
 * `ALEXNET_TORCHVISION_WEIGHTS.IMAGENET1K_V1` is torchvision's `AlexNet_Weights.IMAGENET1K_V1`.
 */
export const ALEXNET_TORCHVISION_WEIGHTS = Object.freeze({
  IMAGENET1K_V1: entry({
    model: 'alexnet_torchvision',
    name: 'IMAGENET1K_V1',
    description: "torchvision's ImageNet-1K AlexNet, trained with the simplified recipe of the 2014 paper",
    modelOptions: {},
    source: {
      url: 'https://download.pytorch.org/models/alexnet-owt-7be5be79.pth',
      fileName: 'alexnet-owt-7be5be79.pth',
      format: 'pytorch',
      bytes: 244_408_911,
    },
    sha256: {
      hex: '7be5be791159472b1fbf3c69796f7cb30dca7ad8466c2df70058c37116cdee02',
      complete: true,
      source:
        'torchvision publishes the first 8 digits in the file name (torch.hub checks them); the full digest and size ' +
        'are those pinned by several independent public projects that verify the downloaded file, and agree with ' +
        "that prefix and with torchvision's _file_size (233.087 MiB)",
    },
    preprocessing: IMAGENET_PREPROCESSING,
    classNames: IMAGENET_CLASS_NAMES,
    metrics: [
      {
        dataset: 'ImageNet-1K val',
        top1: 56.522,
        top5: 79.066,
        source: `torchvision's AlexNet_Weights.IMAGENET1K_V1 meta _metrics (${TORCHVISION_ALEXNET_DOCS}), measured by torchvision with its ImageClassification(crop_size=224) preset`,
      },
    ],
    numParameters: 61_100_840,
    minInputSize: 63,
    recipe: 'https://github.com/pytorch/vision/tree/main/references/classification#alexnet-and-vgg',
    license: null,
  }),
});

const table = new Map<string, PretrainedWeights>(
  Object.values(ALEXNET_TORCHVISION_WEIGHTS).map((weights) => [weights.tag, weights]),
);

/**
 * Adds an entry to the weights table (for weights of your own, or of a model you registered). Its model must be
 * registered and its tag new; returns the stored entry, with its tag.
 */
export function registerWeights(init: PretrainedWeightsInit): PretrainedWeights {
  getModelBuilder(init.model);
  const weights = entry(init);
  if (table.has(weights.tag)) throw new Error(`Weights "${weights.tag}" are already registered`);
  table.set(weights.tag, weights);
  return weights;
}

/** The entries of the weights table, sorted by tag: all, or those of one registered model (unknown ones throw). */
export function listWeights(model?: string): PretrainedWeights[] {
  if (model !== undefined) getModelBuilder(model);
  return [...table.values()]
    .filter((weights) => model === undefined || weights.model === model)
    .sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
}

/**
 * One entry of the weights table: `getWeights('alexnet_torchvision', 'IMAGENET1K_V1')`, or by timm-style tag,
 * `getWeights('alexnet_torchvision.IMAGENET1K_V1')`. Unknown models or names throw an error listing the known tags.
 */
export function getWeights(model: string, name?: string): PretrainedWeights {
  const [modelName, weightsName] = name === undefined ? splitTag(model) : [model, name];
  const found = table.get(`${modelName}.${weightsName}`);
  if (found) return found;
  const known = listWeights().map((w) => w.tag);
  const why = !listModels().includes(modelName)
    ? `no model is registered as "${modelName}"`
    : known.some((tag) => tag.startsWith(`${modelName}.`))
      ? `${modelName} has no weights named "${weightsName}"`
      : `${modelName} has no weights in the table`;
  throw new Error(`Unknown weights "${modelName}.${weightsName}": ${why}. Known weights: ${known.join(', ')}`);
}

/** `[model, weights]` of a `<model>.<weights>` tag. */
function splitTag(tag: string): [string, string] {
  const dot = tag.lastIndexOf('.');
  if (dot <= 0 || dot === tag.length - 1) {
    const known = listWeights().map((w) => w.tag);
    throw new Error(
      `getWeights: "${tag}" is not a weights tag <model>.<weights>; pass both names, or one of: ${known.join(', ')}`,
    );
  }
  return [tag.slice(0, dot), tag.slice(dot + 1)];
}

/** A frozen entry with its tag, after checks of the fields a typo would spoil. */
function entry(init: PretrainedWeightsInit): PretrainedWeights {
  const tag = `${init.model}.${init.name}`;
  const problem = (field: string, why: string) => new Error(`Weights ${tag}: ${field} ${why}`);
  if (!/^[A-Za-z0-9_-]+$/.test(init.name)) throw problem('name', `must be letters, digits, _ or -, got "${init.name}"`);
  const digits = init.sha256.complete ? '{64}' : '{8,63}';
  if (!new RegExp(`^[0-9a-f]${digits}$`).test(init.sha256.hex)) {
    throw problem('sha256.hex', `must be ${init.sha256.complete ? '64' : '8 to 63'} lower-case hex digits`);
  }
  // The cache stores the file under this name: a path in it would write outside the cache folder.
  const fileName = init.source.fileName;
  if (!/^[A-Za-z0-9_.+-]+$/.test(fileName) || /^\.+$/.test(fileName)) {
    throw problem('source.fileName', `must be a plain file name (letters, digits, _ . + -), got "${fileName}"`);
  }
  if (!Number.isInteger(init.numParameters) || init.numParameters < 1) {
    throw problem('numParameters', 'must be a positive integer');
  }
  if (!Number.isInteger(init.minInputSize) || init.minInputSize < 1) {
    throw problem('minInputSize', 'must be a positive integer');
  }
  return Object.freeze({ tag, ...init });
}
