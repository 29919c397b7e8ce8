/**
 * A local file of a known entry of the weights table: checked against the entry's SHA-256, then loaded into a new
 * model. Nothing here downloads: `downloadWeights` and `createPretrainedModel` (in `pretrained-download.ts` and
 * `pretrained-model.ts`) fetch and cache the table's files.
 */
import type { Module } from '@alexnet/layers';
import { files } from '#platform';
import { AlexNet } from './alexnet.js';
import { getWeights, type PretrainedWeights } from './pretrained.js';
import { buildModel } from './registry.js';
import { sha256Hex } from './sha256.js';
import { loadWeights } from './weights.js';

/** A local weight file: a path (Node.js), a `file:` URL, or its bytes. */
export type LocalWeightsSource = string | URL | ArrayBuffer | ArrayBufferView;

// Defined beside the weight-file code that also needs it; exported here, as it always was.
export { sha256Hex } from './sha256.js';

/**
 * Checks that `bytes` are the file of `weights` (an entry or its tag): the whole SHA-256, or its known prefix when
 * the table has only that. Resolves to the file's full digest; a mismatch throws naming both digests.
 */
export async function verifyWeights(
  weights: PretrainedWeights | string,
  bytes: ArrayBuffer | ArrayBufferView,
  name = 'weights data',
): Promise<string> {
  const entry = typeof weights === 'string' ? getWeights(weights) : weights;
  const actual = await sha256Hex(bytes);
  checkDigest(entry, actual, name);
  return actual;
}

/**
 * Throws when `actual` (a file's 64-digit SHA-256) is not the digest of `entry`'s file, or does not start with its
 * known prefix; the error names `name` (a path or URL) and both digests. Shared by {@link verifyWeights} and the
 * download cache, which hashes as it downloads.
 */
export function checkDigest(entry: PretrainedWeights, actual: string, name: string): void {
  const expected = entry.sha256.hex;
  const matches = entry.sha256.complete ? actual === expected : actual.startsWith(expected);
  if (!matches) {
    const known = entry.sha256.complete ? expected : `${expected}... (only this prefix is known)`;
    throw new Error(
      `${name} is not ${entry.source.fileName} of ${entry.tag}: its SHA-256 is ${actual}, the table says ${known}`,
    );
  }
}

/** Options of {@link loadPretrained}. */
export interface LoadPretrainedOptions {
  /** Check the file's SHA-256 against the table first (default true). */
  verify?: boolean;
}

/**
 * Builds the model of a weights-table entry (`'alexnet_torchvision.IMAGENET1K_V1'` or the entry), checks the local
 * file `source` against the entry's SHA-256 and loads it, strictly. An AlexNet gets the entry's class names.
 * http(s) sources are refused: nothing here downloads.
 */
export async function loadPretrained(
  weights: PretrainedWeights | string,
  source: LocalWeightsSource,
  options: LoadPretrainedOptions = {},
): Promise<Module> {
  const entry = typeof weights === 'string' ? getWeights(weights) : weights;
  const name = typeof source === 'string' ? source : source instanceof URL ? source.href : entry.source.fileName;
  const bytes = await localBytes(source, name, entry);
  if (options.verify ?? true) await verifyWeights(entry, bytes, name);
  const model = buildModel(entry.model, { ...entry.modelOptions });
  try {
    await loadWeights(model, bytes);
  } catch (error) {
    model.dispose();
    throw error;
  }
  if (model instanceof AlexNet && entry.classNames.length === model.options.numClasses) {
    model.classNames = [...entry.classNames];
  }
  return model;
}

async function localBytes(source: LocalWeightsSource, name: string, entry: PretrainedWeights): Promise<Uint8Array> {
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  const url = source instanceof URL ? source : /^[a-z][a-z0-9+.-]*:\/\//i.test(source) ? new URL(source) : null;
  if (url && url.protocol !== 'file:') {
    throw new Error(
      `loadPretrained reads local files only, not ${url.href}: download ${entry.source.url ?? entry.source.fileName} ` +
        'and pass its path or bytes',
    );
  }
  try {
    return await files.readFile(url ?? (source as string));
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') throw new Error(`Weight file not found: ${name}`);
    throw error;
  }
}
