import type { Augmentation } from '../transforms.js';
import type { TrainConfig } from './options.js';

/** A `--recipe`: the settings it changes, per-model rules, and its training augmentation. */
export interface Recipe {
  /** What the recipe changes from the defaults. */
  settings: Partial<TrainConfig>;
  /** Changes for one model, over `settings` (a `--config` file and flags still override them). */
  byModel?: Record<string, Partial<TrainConfig>>;
  /** Its training augmentation (built by `transformsFor`). */
  augmentation: Augmentation;
}

/** The `--recipe` presets. */
export const RECIPES: Record<TrainConfig['recipe'], Recipe> = {
  // The seed article: SGD 0.01 / 0.9 / 5e-4, batch 128, ReduceLROnPlateau(0.1, max) on top-1, PyTorch init.
  reference: { settings: {}, augmentation: 'reference' },
  // The 2012 paper: its initialisation and LRN, /10 when validation accuracy stalls, 10-crop testing; V2 gets
  // the 2014 paper's schedule and logistic units (its head default).
  paper: {
    settings: { init: 'paper', lrn: 'paper', head: null, lrPatience: 3, tenCrop: true },
    byModel: { alexnet_v2: { scheduler: 'paper' } },
    augmentation: 'paper',
  },
  // torchvision's reference: weight decay 1e-4, x0.1 every 30 epochs, RandomResizedCrop.
  torchvision: {
    settings: { model: 'alexnet_torchvision', weightDecay: 1e-4, scheduler: 'step', lrStep: 30, batchSize: 256 },
    augmentation: 'torchvision',
  },
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

/** The embedded default's synthetic dataset. */
export const SYNTHETIC = { classes: 4, trainPerClass: 300, valPerClass: 50, seed: 0 } as const;
