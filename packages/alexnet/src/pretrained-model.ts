/**
 * `createPretrainedModel`: torchvision's `alexnet(weights=AlexNet_Weights.IMAGENET1K_V1)` and timm's
 * `create_model(..., pretrained=True)` in one asynchronous call: table entry, cached download, check, load.
 */
import type { AlexNet, AlexNetOptions } from './alexnet.js';
import { isAlexNetBuilder } from './builder.js';
import { getWeights, listWeights, type PretrainedWeights } from './pretrained.js';
import { type DownloadOptions, downloadWeights } from './pretrained-download.js';
import { loadPretrained } from './pretrained-files.js';
import { getModelBuilder } from './registry.js';

/** Options of {@link createPretrainedModel}: which weights, how to fetch them, and the model's own options. */
export interface PretrainedModelOptions extends DownloadOptions {
  /** The weights' name in the table (`'IMAGENET1K_V1'`); not needed when the model name is a tag. */
  weights?: string;
  /**
   * Options for the model over the entry's own (such as `dropout` or `adaptivePool`); options that change the
   * parameters' shapes make the load fail, naming them.
   */
  modelOptions?: AlexNetOptions;
}

/**
 * Builds an AlexNet with weights of the table, downloading them on first use:
 * `await createPretrainedModel('alexnet_torchvision', { weights: 'IMAGENET1K_V1' })`, or by timm-style tag,
 * `await createPretrainedModel('alexnet_torchvision.IMAGENET1K_V1')`. The file is found in the cache or downloaded
 * ({@link downloadWeights}: `cacheDir`, `offline`, `baseUrl`, `onProgress`), checked against the table's SHA-256
 * and loaded strictly; the model gets the entry's class names. {@link createModel} stays synchronous, for fresh
 * weights.
 *
 * @throws Error for unknown models or weights (listing the known ones), a model that is not an AlexNet, and every
 * error of {@link downloadWeights}.
 */
export async function createPretrainedModel(name: string, options: PretrainedModelOptions = {}): Promise<AlexNet> {
  const { weights, modelOptions, ...download } = options;
  const entry = resolveEntry(name, weights);
  // Before a download of hundreds of megabytes, not after.
  if (!isAlexNetBuilder(getModelBuilder(entry.model))) {
    throw new Error(
      `Model "${entry.model}" is not an AlexNet: fetch its file with downloadWeights('${entry.tag}') and load it ` +
        `with loadPretrained('${entry.tag}', file.bytes)`,
    );
  }
  const file = await downloadWeights(entry, download);
  const built: PretrainedWeights = { ...entry, modelOptions: { ...entry.modelOptions, ...modelOptions } };
  // The download has been checked against the table already: no second hash over the bytes.
  return (await loadPretrained(built, file.bytes, { verify: false })) as AlexNet;
}

function resolveEntry(name: string, weights: string | undefined): PretrainedWeights {
  if (weights !== undefined) return getWeights(name, weights);
  if (name.includes('.')) return getWeights(name);
  const known = listWeights(name).map((w) => w.name);
  throw new Error(
    `createPretrainedModel('${name}') needs { weights }: ` +
      (known.length > 0 ? `one of ${known.join(', ')}` : `${name} has no weights in the table (see listWeights())`),
  );
}
