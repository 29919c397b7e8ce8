import type { Module } from '@alexnet/layers';
import { AlexNet, type AlexNetOptions, resolveAlexNetOptions } from './alexnet.js';
import type { AlexNetArchitecture } from './architectures.js';
import { IMAGENET_PREPROCESSING, type Preprocessing } from './preprocessing.js';

/**
 * A registry entry: a function that builds a model from options, with what listings, docs and weight tables need
 * to know about it (timm's registered model functions with their default config, as data). Any {@link Module}
 * can be built, so models other than AlexNet join the registry the same way.
 *
 * @typeParam Options - What {@link ModelBuilder.build} accepts.
 * @typeParam Built - The module it returns.
 */
export interface ModelBuilder<Options extends object = Record<string, unknown>, Built extends Module = Module> {
  /** Registry name (`alexnet_v1`): lower case, no `.` (weights are tagged `<model>.<weights>`). */
  readonly name: string;
  /** One line for listings. */
  readonly description: string;
  /** Where the model comes from: a paper, a library. */
  readonly source: string;
  /** The configuration a build without options gets, every default filled in (for listings and docs). */
  readonly defaults: Readonly<Record<string, unknown>>;
  /** How inputs must be prepared for the models it builds. */
  readonly preprocessing: Preprocessing;
  /** A new model with fresh weights. Bad options throw an error naming the option. */
  build(options?: Options): Built;
}

/** The builder of an AlexNet variant: its architecture (plain data) is kept for {@link getArchitecture}. */
export interface AlexNetBuilder extends ModelBuilder<AlexNetOptions, AlexNet> {
  readonly architecture: AlexNetArchitecture;
}

/** The builder of the AlexNet that `architecture` describes; `registerModel(architecture)` uses this. */
export function alexnetBuilder(architecture: AlexNetArchitecture): AlexNetBuilder {
  // A spread copy: a plain object type, which (unlike the interface) fits the builder's string-keyed record.
  const defaults = { ...resolveAlexNetOptions(architecture) };
  return Object.freeze({
    name: architecture.name,
    description: architecture.description,
    source: architecture.paper,
    defaults,
    preprocessing: IMAGENET_PREPROCESSING,
    architecture,
    build: (options: AlexNetOptions = {}) => new AlexNet(architecture, options),
  });
}

/** Whether `builder` builds an AlexNet from an architecture (made by {@link alexnetBuilder}). */
export function isAlexNetBuilder(builder: ModelBuilder): builder is AlexNetBuilder {
  return 'architecture' in builder && typeof (builder as AlexNetBuilder).architecture === 'object';
}
