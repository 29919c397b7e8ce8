import { availableParallelism } from 'node:os';
import { modelOption } from '../load-model.js';
import {
  ADAPTER_OPTION,
  BACKEND_OPTION,
  JSON_OPTION,
  MAX_IMAGE_SIZE,
  type OptionTable,
  QUIET_OPTION,
  type Settings,
  WIDTH_OPTION,
} from '../options.js';

/**
 * Every setting of `alexnet train`, one entry each: its flag, type, default, check and help line. Flags, a `--config`
 * file and a `--recipe` all fill these settings ({@link TrainConfig}); the defaults are the seed article's. The order
 * is the order of `--help` and of a run's `config.json`.
 */
export const TRAIN_OPTIONS = {
  model: { ...modelOption('the architecture'), default: 'alexnet_v2' },
  data: {
    type: 'string',
    value: '<dir>',
    // Null trains on the generated synthetic dataset (the embedded default).
    default: null,
    help: 'training images: an ImageNet root, train/<wnid>/, or any class-per-folder set',
  },
  val: {
    type: 'string',
    value: '<dir>',
    default: null,
    help: 'validation images',
    defaultText: 'val/ beside the training folder',
  },
  recipe: {
    type: 'choice',
    choices: ['reference', 'paper', 'torchvision'],
    default: 'reference',
    help: 'a preset of the settings below',
  },
  epochs: { type: 'integer', min: 1, default: 90, help: 'epochs to train' },
  batchSize: { type: 'integer', min: 1, default: 128, help: 'images a batch' },
  lr: { type: 'number', value: '<x>', min: 0, default: 0.01, help: 'learning rate' },
  momentum: { type: 'number', value: '<x>', min: 0, default: 0.9, help: 'SGD momentum' },
  weightDecay: { type: 'number', value: '<x>', min: 0, default: 5e-4, help: 'L2 weight decay' },
  scheduler: {
    type: 'choice',
    choices: ['plateau', 'step', 'paper'],
    default: 'plateau',
    help: 'learning-rate schedule',
  },
  lrFactor: { type: 'number', value: '<x>', min: 0, default: 0.1, help: 'plateau / step: the factor' },
  lrPatience: { type: 'integer', min: 0, default: 10, help: 'plateau: epochs without progress before a cut' },
  lrStep: { type: 'integer', min: 1, default: 30, help: 'step: epochs between cuts' },
  imageSize: {
    type: 'integer',
    min: 1,
    // A side of 99999 asks 120 GB an image: refused here rather than failing in the loader after the model is built.
    max: MAX_IMAGE_SIZE,
    default: 224,
    help: 'input side, which the model must accept: see --adaptive-pool',
  },
  adaptivePool: { type: 'boolean', default: false, help: 'pool features to 6x6 so V1 / V2 accept any side from 63' },
  width: WIDTH_OPTION,
  lrn: {
    type: 'choice',
    value: '<kind>',
    choices: ['paper', 'reference', 'none'],
    default: null,
    help: 'local response normalisation',
    defaultText: "the model's",
  },
  init: {
    type: 'choice',
    value: '<kind>',
    choices: ['paper', 'pytorch', 'kaiming'],
    default: 'pytorch',
    nullable: true,
    help: 'initialisation',
  },
  head: {
    type: 'choice',
    value: '<kind>',
    choices: ['softmax', 'sigmoid'],
    default: 'softmax',
    // The paper recipe's null: the model's own (V2's is sigmoid).
    nullable: true,
    help: 'output units and their loss',
  },
  dropout: { type: 'number', value: '<p>', min: 0, below: 1, default: 0.5, help: 'dropout probability' },
  labelSmoothing: { type: 'number', value: '<x>', min: 0, max: 1, default: 0, help: 'softmax: label smoothing' },
  workers: {
    type: 'integer',
    min: 0,
    default: availableParallelism(),
    help: 'decoding threads',
    defaultText: 'one a core',
  },
  gradAccum: { type: 'integer', min: 1, default: 1, help: 'batches per optimiser step' },
  seed: { type: 'integer', default: 0, help: 'seed of the initialisation, shuffling and augmentation' },
  validateFirst: {
    type: 'boolean',
    flag: 'no-validate-first',
    negated: true,
    default: true,
    help: 'skip the validation pass before training',
  },
  tenCrop: { type: 'boolean', default: false, help: '10-crop validation' },
  // Keep the first N classes / M images a class (quick runs).
  classes: { type: 'integer', min: 1, default: null, help: 'use the first n classes' },
  perClass: { type: 'integer', min: 1, default: null, help: 'at most n images a class' },
  resume: { type: 'string', value: '<dir|file>', default: null, help: 'continue a run from its last checkpoint' },
  weights: {
    type: 'string',
    value: '<file>',
    default: null,
    help: 'start from weights (.safetensors or PyTorch .pth)',
  },
  out: { type: 'string', value: '<dir>', default: null, help: 'run folder', defaultText: 'runs/<model>-<time>' },
  backend: BACKEND_OPTION,
  adapter: ADAPTER_OPTION,
} as const satisfies OptionTable;

/** Every setting of `alexnet train`, derived from {@link TRAIN_OPTIONS}. */
export type TrainConfig = Settings<typeof TRAIN_OPTIONS>;

/** `train`'s flags that are not settings: where more settings come from, and how it talks. */
export const TRAIN_COMMAND_OPTIONS = {
  config: {
    type: 'string',
    value: '<file.yaml>',
    help: 'settings in a file (the same names as the flags); flags override it',
  },
  quiet: QUIET_OPTION,
  json: JSON_OPTION,
  overwrite: {
    type: 'boolean',
    help: 'start a new run in an --out folder that holds one, replacing its config, checkpoints and metrics',
  },
} as const satisfies OptionTable;
