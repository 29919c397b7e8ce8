import { AlexNet, type AlexNetOptions } from './alexnet.js';
import { ALEXNET_TORCHVISION, ALEXNET_V1, ALEXNET_V2, type AlexNetArchitecture } from './architectures.js';

const registry = new Map<string, AlexNetArchitecture>(
  [ALEXNET_V1, ALEXNET_V2, ALEXNET_TORCHVISION].map((architecture) => [architecture.name, architecture]),
);

/** Adds an architecture (plain data) under its name, for variants of your own. Names must be new. */
export function registerModel(architecture: AlexNetArchitecture): void {
  if (registry.has(architecture.name)) throw new Error(`A model named "${architecture.name}" is already registered`);
  registry.set(architecture.name, architecture);
}

/** The registered model names, sorted: `alexnet_torchvision`, `alexnet_v1`, `alexnet_v2`, and any you added. */
export function listModels(): string[] {
  return [...registry.keys()].sort();
}

/** The architecture registered under `name`; unknown names throw an error listing the known ones. */
export function getArchitecture(name: string): AlexNetArchitecture {
  const architecture = registry.get(name);
  if (!architecture) {
    throw new Error(`Unknown model "${name}". Available models: ${listModels().join(', ')}`);
  }
  return architecture;
}

/**
 * Builds the model registered under `name` with fresh weights, like `timm.create_model`:
 * `createModel('alexnet_v1', { lrn: 'reference' })`. Load weights with {@link loadWeights}.
 */
export function createModel(name: string, options: AlexNetOptions = {}): AlexNet {
  return new AlexNet(getArchitecture(name), options);
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
