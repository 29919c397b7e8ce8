import { fromStateDict, type LoadStateDictResult, type Module, toStateDict } from '@alexnet/layers';
import {
  extractStateDict,
  type RawTensors,
  readPyTorch,
  readSafetensors,
  splitCheckpointTensors,
  TENSOR_DATA_CHECKSUM_KEY,
  writePyTorch,
  writeSafetensors,
} from '@alexnet/torch-io';
import * as tf from '@tensorflow/tfjs-core';
import { files } from '#platform';
import { AlexNet, type AlexNetOptions } from './alexnet.js';
import type { Preprocessing } from './preprocessing.js';
import { createModel } from './registry.js';
import { sha256Hex } from './sha256.js';

/**
 * Where weights come from: a file path (Node.js), an http(s) or file URL, or the bytes themselves.
 */
export type WeightsSource = string | URL | ArrayBuffer | ArrayBufferView;

/** What a weight file says about its model, beyond the tensors (safetensors `__metadata__`). */
export interface WeightsMetadata {
  /** Registry name of the model (`alexnet_v1`). */
  model?: string;
  /** The options the model was built with. */
  options?: Partial<AlexNetOptions>;
  preprocessing?: Preprocessing;
  classNames?: string[];
  classIds?: string[];
  /** Other string entries of the file's metadata, as written. */
  extra: Record<string, string>;
}

/** A weight file, read: tensors in PyTorch names and layouts, and its metadata when it has any. */
export interface WeightsFile {
  format: 'safetensors' | 'pytorch';
  tensors: RawTensors;
  metadata: WeightsMetadata;
}

/**
 * Reads a `.safetensors` or PyTorch `.pth` / `.pt` file; the format is recognised from the bytes, not the name. A
 * training checkpoint's tensor data is checked against the checksum written with it (`tensor_data_sha256`).
 *
 * @throws Error naming the file when it is missing, not a weight file, damaged, or its metadata is invalid.
 */
export async function readWeights(source: WeightsSource): Promise<WeightsFile> {
  const name = describe(source);
  const bytes = await readBytes(source, name);
  // Safetensors first: its header length is arbitrary, so its first byte can be 0x80 like a pickle's. A file named
  // .safetensors that is not a PyTorch one is read as safetensors whatever its bytes, so that its damage (a header
  // length past the end, a header that is no JSON object) is named rather than its first bytes shown (an empty
  // one is said to be empty, below).
  const named = bytes.byteLength > 0 && /\.safetensors$/i.test(name) && !looksLikePyTorch(bytes);
  if (looksLikeSafetensors(bytes) || named) {
    const { tensors, metadata } = readSafetensors(bytes, name);
    await verifyTensorData(bytes, metadata, name);
    return { format: 'safetensors', tensors: modelTensors(tensors, metadata), metadata: parseMetadata(metadata, name) };
  }
  if (looksLikePyTorch(bytes)) {
    return { format: 'pytorch', tensors: extractStateDict(readPyTorch(bytes, name), name), metadata: { extra: {} } };
  }
  const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new Error(
    `${name} is not a weight file this package reads (safetensors, or a PyTorch .pth / .pt checkpoint); ` +
      (bytes.byteLength === 0 ? 'it is empty' : `it starts with bytes ${head}`),
  );
}

/** Options of {@link loadWeights}. */
export interface LoadWeightsOptions {
  /** Fail on missing or unexpected parameters (default true). A failed load leaves the model unchanged. */
  strict?: boolean;
}

/**
 * Loads weights into a model: `.safetensors` from this package or any PyTorch state dict (`.pth` / `.pt`, zip or
 * legacy format, at the top level or under `model` / `state_dict`, DataParallel's `module.` prefix removed).
 * Shapes and names are checked before anything changes; mismatches throw naming the keys.
 */
export async function loadWeights(
  model: Module,
  source: WeightsSource,
  options: LoadWeightsOptions = {},
): Promise<LoadStateDictResult & { metadata: WeightsMetadata }> {
  const file = await readWeights(source);
  const modelName = model instanceof AlexNet ? model.name : model.typeName;
  if (model instanceof AlexNet && file.metadata.model && file.metadata.model !== model.name) {
    throw new Error(`${describe(source)} holds ${file.metadata.model} weights, not ${model.name}`);
  }
  const dict = toStateDict(file.tensors);
  try {
    const result = model.loadStateDict(dict, options);
    if (model instanceof AlexNet) {
      model.classNames = file.metadata.classNames ?? model.classNames;
      model.classIds = file.metadata.classIds ?? model.classIds;
    }
    return { ...result, metadata: file.metadata };
  } catch (error) {
    throw new Error(`Cannot load ${describe(source)} into ${modelName}: ${(error as Error).message}`, { cause: error });
  } finally {
    tf.dispose(Object.values(dict));
  }
}

/**
 * Builds the model a `.safetensors` file of this package describes and loads its weights. PyTorch files carry
 * no model name: pass `model` (and any options, such as `lrn: 'reference'` for the seed article's checkpoints).
 */
export async function loadModel(
  source: WeightsSource,
  options: AlexNetOptions & { model?: string } = {},
): Promise<AlexNet> {
  return modelFromWeights(await readWeights(source), options, describe(source));
}

/**
 * {@link loadModel} for a file already read with {@link readWeights}: the model its metadata (or `options.model`)
 * names, with its options, class names and, when nothing says, as many classes as the last layer's bias holds.
 */
export function modelFromWeights(
  file: WeightsFile,
  options: AlexNetOptions & { model?: string } = {},
  source = 'weights data',
): AlexNet {
  const { model: name = file.metadata.model, ...overrides } = options;
  if (!name) {
    throw new Error(`${source} does not name its model; pass { model: 'alexnet_v1' } (or another registered name)`);
  }
  const lastBias = Object.keys(file.tensors)
    .filter((k) => k.startsWith('classifier.') && k.endsWith('.bias'))
    .at(-1);
  let model: AlexNet;
  try {
    model = createModel(name, {
      numClasses: lastBias ? file.tensors[lastBias].shape[0] : undefined,
      ...file.metadata.options,
      classNames: file.metadata.classNames,
      classIds: file.metadata.classIds,
      ...overrides,
    });
  } catch (error) {
    // An unknown model name, or options / class names the file's metadata gives wrong: the file is named.
    throw new Error(`${source}: cannot build ${name} from it: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const dict = toStateDict(file.tensors);
  try {
    model.loadStateDict(dict);
  } catch (error) {
    model.dispose();
    throw new Error(`Cannot load ${source} into ${name}: ${(error as Error).message}`, { cause: error });
  } finally {
    tf.dispose(Object.values(dict));
  }
  return model;
}

/**
 * The model's weights as `.safetensors` bytes: PyTorch names and layouts (so `safetensors.torch.load_file` gives
 * a state dict PyTorch's model loads), with the model name, options, preprocessing and class names as metadata.
 */
export async function serializeWeights(model: Module, extra: Record<string, string> = {}): Promise<Uint8Array> {
  const dict = model.stateDict();
  try {
    return writeSafetensors(await fromStateDict(dict), { ...weightsMetadata(model), ...extra });
  } finally {
    tf.dispose(Object.values(dict));
  }
}

/**
 * Writes the model's weights to `path` (Node.js), atomically (a crash never leaves a half-written file under that
 * name): `.safetensors` with metadata, or `.pth` / `.pt` in PyTorch's zip format, which `torch.load` reads as a
 * state dict for the PyTorch model (no metadata: PyTorch files carry none).
 */
export async function saveWeights(model: Module, path: string, extra: Record<string, string> = {}): Promise<void> {
  if (path.endsWith('.safetensors')) {
    await files.writeFile(path, await serializeWeights(model, extra));
  } else if (path.endsWith('.pth') || path.endsWith('.pt')) {
    const dict = model.stateDict();
    try {
      await files.writeFile(path, writePyTorch(await fromStateDict(dict)));
    } finally {
      tf.dispose(Object.values(dict));
    }
  } else {
    throw new Error(`saveWeights writes .safetensors or PyTorch .pth / .pt files; "${path}" has another extension`);
  }
}

/**
 * The metadata this package writes beside a model's weights: model name, options, preprocessing, class names and
 * ids. Trainers pass it to their checkpoints so those load with {@link loadModel} too.
 */
export function weightsMetadata(model: Module): Record<string, string> {
  const metadata: Record<string, string> = { format: 'pt', framework: '@alexnet/models' };
  if (model instanceof AlexNet) {
    const { seed: _seed, ...options } = model.options;
    metadata.model = model.name;
    metadata.options = JSON.stringify(options);
    metadata.preprocessing = JSON.stringify(model.preprocessing);
    if (model.classNames) metadata.class_names = JSON.stringify(model.classNames);
    if (model.classIds) metadata.class_ids = JSON.stringify(model.classIds);
  }
  return metadata;
}

/**
 * The model's tensors of a safetensors file: all of them for a weights file; for a training checkpoint of
 * `@alexnet/trainer` (metadata `checkpoint`), those under `model.` with the prefix removed (optimiser state is
 * left out).
 */
function modelTensors(tensors: RawTensors, metadata: Record<string, string>): RawTensors {
  if (metadata.checkpoint === undefined) return tensors;
  return splitCheckpointTensors(tensors).model;
}

/**
 * Throws naming the file when a safetensors file's data section (every byte after its header) does not hash to the
 * checksum its metadata holds, as a training checkpoint's does; a file without one is not checked. `@alexnet/trainer`
 * verifies its checkpoints the same way on resume.
 */
async function verifyTensorData(bytes: Uint8Array, metadata: Record<string, string>, name: string): Promise<void> {
  const expected = metadata[TENSOR_DATA_CHECKSUM_KEY];
  if (expected === undefined) return;
  // readSafetensors has checked that the header length fits in the file.
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  const actual = await sha256Hex(bytes.subarray(8 + headerLength));
  if (actual !== expected.toLowerCase()) {
    throw new Error(
      `${name} is damaged: its tensor data does not match the checksum written with it (SHA-256 ${actual}, expected ${expected} in the "${TENSOR_DATA_CHECKSUM_KEY}" metadata)`,
    );
  }
}

/** A tensor with values that are not finite numbers, and how many of each kind. */
export interface NonFiniteTensor {
  name: string;
  nan: number;
  infinite: number;
}

/**
 * The tensors of a weight file that hold NaN or infinite values, in the file's order (empty when all are finite).
 * Such weights load, but every output they reach is NaN: callers warn on load and refuse to predict with them.
 */
export function nonFiniteTensors(file: WeightsFile): NonFiniteTensor[] {
  const found: NonFiniteTensor[] = [];
  for (const [name, tensor] of Object.entries(file.tensors)) {
    if (!(tensor.data instanceof Float32Array)) continue;
    let nan = 0;
    let infinite = 0;
    for (const value of tensor.data) {
      // One comparison for the common case: finite values pass `value - value === 0`.
      if (value - value === 0) continue;
      if (Number.isNaN(value)) nan++;
      else infinite++;
    }
    if (nan + infinite > 0) found.push({ name, nan, infinite });
  }
  return found;
}

/** The JSON shapes of the metadata entries this package writes, each with the words of its error. */
const METADATA_SHAPES = {
  object: [(v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v), 'a JSON object'],
  strings: [(v: unknown) => Array.isArray(v) && v.every((s) => typeof s === 'string'), 'a JSON list of strings'],
} as const;

function parseMetadata(raw: Record<string, string>, name: string): WeightsMetadata {
  // Checked for their shape: a class_names of "abc" labelled classes 'a', 'b', 'c'; options of [1] built the default.
  const json = <T>(key: string, shape: keyof typeof METADATA_SHAPES): T | undefined => {
    if (raw[key] === undefined) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(raw[key]);
    } catch {
      throw new Error(`${name}: metadata entry "${key}" is not valid JSON`);
    }
    const [fits, words] = METADATA_SHAPES[shape];
    if (!fits(value))
      throw new Error(`${name}: metadata entry "${key}" must be ${words}, got ${raw[key].slice(0, 60)}`);
    return value as T;
  };
  const {
    model,
    options,
    preprocessing,
    class_names,
    class_ids,
    checkpoint: _checkpoint,
    // Describes this file's bytes only: carried into another file it would be wrong there.
    [TENSOR_DATA_CHECKSUM_KEY]: _checksum,
    ...extra
  } = raw;
  return {
    model,
    options: json('options', 'object'),
    preprocessing: json('preprocessing', 'object'),
    classNames: json('class_names', 'strings'),
    classIds: json('class_ids', 'strings'),
    extra,
  };
}

function looksLikePyTorch(bytes: Uint8Array): boolean {
  const zip = bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
  return zip || (bytes[0] === 0x80 && bytes[1] >= 2 && bytes[1] <= 5);
}

function looksLikeSafetensors(bytes: Uint8Array): boolean {
  if (bytes.byteLength < 10) return false;
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  return length > 0 && length <= bytes.byteLength - 8 && bytes[8] === 0x7b;
}

function describe(source: WeightsSource): string {
  if (typeof source === 'string') return source;
  if (source instanceof URL) return source.href;
  return 'weights data';
}

async function readBytes(source: WeightsSource, name: string): Promise<Uint8Array> {
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  const url = source instanceof URL ? source : parseUrl(source);
  if (url && url.protocol !== 'file:') {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`Cannot download ${name}: HTTP ${response.status} ${response.statusText}`);
    return new Uint8Array(await response.arrayBuffer());
  }
  try {
    return await files.readFile(url ?? (source as string));
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT') throw new Error(`Weight file not found: ${name}`);
    if (code === 'EISDIR') throw new Error(`${name} is a folder, not a weight file`);
    throw error;
  }
}

/** A URL when `value` is one (http:, https:, file:), else null (a path). */
function parseUrl(value: string): URL | null {
  if (!/^(https?|file):\/\//i.test(value)) return null;
  return new URL(value);
}
