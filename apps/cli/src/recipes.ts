import { readFileSync } from 'node:fs';
import { availableParallelism, homedir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { BackendChoice } from './backend.js';
import { UsageError } from './errors.js';

/** Every setting of `alexnet train`; flags, a `--config` file and a `--recipe` preset all fill this. */
export interface TrainConfig {
  model: string;
  /** Training data folder; null trains on the generated synthetic dataset (the embedded default). */
  data: string | null;
  /** Validation folder (default: `val/` beside the training folder when there is one). */
  val: string | null;
  recipe: 'reference' | 'paper' | 'torchvision';
  epochs: number;
  batchSize: number;
  lr: number;
  momentum: number;
  weightDecay: number;
  scheduler: 'plateau' | 'step' | 'paper';
  /** ReduceLROnPlateau / StepLR factor. */
  lrFactor: number;
  /** ReduceLROnPlateau patience. */
  lrPatience: number;
  /** StepLR period in epochs. */
  lrStep: number;
  imageSize: number;
  /** Adaptive average pooling before the classifier, so V1 / V2 accept small inputs. */
  adaptivePool: boolean;
  lrn: 'paper' | 'reference' | 'none' | null;
  init: 'paper' | 'pytorch' | 'kaiming' | null;
  head: 'softmax' | 'sigmoid' | null;
  dropout: number;
  labelSmoothing: number;
  workers: number;
  gradAccum: number;
  seed: number;
  validateFirst: boolean;
  tenCrop: boolean;
  /** Keep the first N classes / M images a class (quick runs). */
  classes: number | null;
  perClass: number | null;
  resume: string | null;
  weights: string | null;
  out: string | null;
  backend: BackendChoice;
}

/** The seed article's settings: what `alexnet train` does unless told otherwise. */
export const DEFAULTS: TrainConfig = {
  model: 'alexnet_v2',
  data: null,
  val: null,
  recipe: 'reference',
  epochs: 90,
  batchSize: 128,
  lr: 0.01,
  momentum: 0.9,
  weightDecay: 5e-4,
  scheduler: 'plateau',
  lrFactor: 0.1,
  lrPatience: 10,
  lrStep: 30,
  imageSize: 224,
  adaptivePool: false,
  lrn: null,
  init: 'pytorch',
  head: 'softmax',
  dropout: 0.5,
  labelSmoothing: 0,
  workers: availableParallelism(),
  gradAccum: 1,
  seed: 0,
  validateFirst: true,
  tenCrop: false,
  classes: null,
  perClass: null,
  resume: null,
  weights: null,
  out: null,
  backend: 'auto',
};

/** What each `--recipe` changes from {@link DEFAULTS}. */
export const RECIPES: Record<TrainConfig['recipe'], Partial<TrainConfig>> = {
  // The seed article: SGD 0.01 / 0.9 / 5e-4, batch 128, ReduceLROnPlateau(0.1, max) on top-1, PyTorch init.
  reference: {},
  // The 2012 paper: its initialisation and LRN, /10 when validation accuracy stalls, 10-crop testing; V2 gets
  // the 2014 paper's schedule and logistic units (its head default).
  paper: { init: 'paper', lrn: 'paper', head: null, lrPatience: 3, tenCrop: true },
  // torchvision's reference: weight decay 1e-4, x0.1 every 30 epochs, RandomResizedCrop.
  torchvision: { model: 'alexnet_torchvision', weightDecay: 1e-4, scheduler: 'step', lrStep: 30, batchSize: 256 },
};

/**
 * The embedded default (`alexnet train` with no --data): the real V2 network (adaptive pooling so it takes small
 * images) on the synthetic shapes, sized to finish within 5 minutes on a 2-core CPU with the native backend. Measured
 * there: 15 epochs of 1,200 images at 65-80 images/s (4.5-5 min with validation and checkpoints), 91-95%
 * validation top-1 at the end (a different build's float rounding changes the run: 91% before the crop-window decode,
 * 95% after). Without batch normalisation AlexNet needs a few hundred steps before it starts to learn, hence the 300
 * images a class.
 */
export const EMBEDDED: Partial<TrainConfig> = {
  epochs: 15,
  batchSize: 32,
  imageSize: 64,
  adaptivePool: true,
  // PyTorch's default init shrinks AlexNet's activations ~1e-2 by the logits: too slow a start for a demo.
  init: 'kaiming',
  lr: 0.005,
  // A tenth of the rate for the last epochs, so the final accuracy does not hang on one noisy epoch.
  scheduler: 'step',
  lrStep: 13,
  validateFirst: false,
};

export const SYNTHETIC = { classes: 4, trainPerClass: 300, valPerClass: 50, seed: 0 } as const;

/** Where the synthetic dataset is cached. */
export function cacheDir(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'alexnet');
}

/** Reads a `--config` YAML or JSON file into config keys, checking names and types. */
export function readConfigFile(path: string): Partial<TrainConfig> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new UsageError(`Config file not found: ${path}`);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    throw new UsageError(`${path} is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UsageError(`${path} must hold a mapping of settings (model: alexnet_v2, epochs: 90, ...)`);
  }
  const result: Record<string, unknown> = {};
  for (const [rawKey, value] of Object.entries(parsed)) {
    const key = rawKey.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (!(key in DEFAULTS)) throw new UsageError(`${path}: unknown setting "${rawKey}"`);
    const expected = typeof DEFAULTS[key as keyof TrainConfig];
    if (value !== null && expected !== 'object' && typeof value !== expected) {
      throw new UsageError(`${path}: "${rawKey}" must be a ${expected}, got ${JSON.stringify(value)}`);
    }
    result[key] = value;
  }
  return result as Partial<TrainConfig>;
}
