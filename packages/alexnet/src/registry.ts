import type { Module } from '@alexnet/layers';
import type { AlexNet, AlexNetOptions } from './alexnet.js';
import { ALEXNET_TORCHVISION, ALEXNET_V1, ALEXNET_V2, type AlexNetArchitecture } from './architectures.js';
import { alexnetBuilder, isAlexNetBuilder, type ModelBuilder } from './builder.js';

const registry = new Map<string, ModelBuilder>(
  [ALEXNET_V1, ALEXNET_V2, ALEXNET_TORCHVISION].map((architecture) => [
    architecture.name,
    alexnetBuilder(architecture),
  ]),
);

/**
 * Adds a model under its name: a {@link ModelBuilder} (any module), or an AlexNet architecture (plain data) for
 * variants of your own. Names must be new and must not contain `.` (weights are tagged `<model>.<weights>`).
 * Returns the registered builder.
 */
export function registerModel(entry: ModelBuilder | AlexNetArchitecture): ModelBuilder {
  const builder = typeof (entry as ModelBuilder).build === 'function' ? (entry as ModelBuilder) : null;
  const named = builder ?? (entry as AlexNetArchitecture);
  if (typeof named.name !== 'string' || named.name === '' || named.name.includes('.')) {
    throw new Error(`registerModel: a model name is a non-empty string without ".", got ${JSON.stringify(named.name)}`);
  }
  if (registry.has(named.name)) throw new Error(`A model named "${named.name}" is already registered`);
  const registered = builder ?? alexnetBuilder(entry as AlexNetArchitecture);
  registry.set(registered.name, registered);
  return registered;
}

/** The registered model names, sorted: `alexnet_torchvision`, `alexnet_v1`, `alexnet_v2`, and any you added. */
export function listModels(): string[] {
  return [...registry.keys()].sort();
}

/** The builder registered under `name`, with its metadata; unknown names throw an error listing the known ones. */
export function getModelBuilder(name: string): ModelBuilder {
  const builder = registry.get(name);
  if (!builder) {
    throw new Error(`Unknown model "${name}". Available models: ${listModels().join(', ')}`);
  }
  return builder;
}

/** The AlexNet architecture registered under `name`; unknown names and non-AlexNet models throw. */
export function getArchitecture(name: string): AlexNetArchitecture {
  const builder = getModelBuilder(name);
  if (!isAlexNetBuilder(builder)) throw new Error(`Model "${name}" is not an AlexNet: it has no AlexNet architecture`);
  return builder.architecture;
}

/**
 * Builds the AlexNet registered under `name` with fresh weights, like `timm.create_model`:
 * `createModel('alexnet_v1', { lrn: 'reference' })`. Load weights with {@link loadWeights}; for weights of the
 * table (downloaded and cached) use `await createPretrainedModel(name, { weights: 'IMAGENET1K_V1' })`. For a model
 * of any other kind use {@link buildModel}, which returns a plain {@link Module}.
 */
export function createModel(name: string, options: AlexNetOptions = {}): AlexNet {
  const builder = getModelBuilder(name);
  if (!isAlexNetBuilder(builder)) {
    throw new Error(`Model "${name}" is not an AlexNet; build it with buildModel('${name}', options)`);
  }
  return builder.build(options);
}

/** Builds the model registered under `name`, of any kind, with its builder's options. */
export function buildModel(name: string, options: Record<string, unknown> = {}): Module {
  return getModelBuilder(name).build(options);
}

/** AlexNet as in the 2012 paper (one tower, 96-256-384-384-256, LRN). */
export function alexnetV1(options: AlexNetOptions = {}): AlexNet {
  return createModel('alexnet_v1', options);
}

/** AlexNet as in the 2014 paper (64-192-384-384-256, LRN, logistic head by default). */
export function alexnetV2(options: AlexNetOptions = {}): AlexNet {
  return createModel('alexnet_v2', options);
}

/** torchvision's `alexnet` (64-192-384-256-256, no LRN, adaptive pooling). */
export function alexnetTorchvision(options: AlexNetOptions = {}): AlexNet {
  return createModel('alexnet_torchvision', options);
}
