/**
 * Learning-rate schedulers with PyTorch's semantics (`torch.optim.lr_scheduler`): they change the optimiser's
 * group learning rates in place and keep serialisable state for checkpoints.
 */

import type { HasParamGroups } from './optimizer.js';

/**
 * A learning-rate scheduler as {@link fit} drives it: it changes the optimiser's group rates in place and keeps
 * state for checkpoints. `fit` calls `step(metric)` once per epoch, after validation, with the monitored metric
 * ({@link FitOptions.monitor}), whatever the scheduler: PyTorch's loop with `scheduler.step(val_metric)`.
 * {@link ReduceLROnPlateau} uses the metric; {@link StepLR}, {@link MultiStepLR} and other epoch-count schedules
 * ignore it. The argument is never an epoch number (unlike PyTorch's deprecated `step(epoch)`). Stepped by hand, per
 * iteration say, a scheduler that ignores the metric takes `step()`.
 */
export interface Scheduler {
  /** Moves to the next epoch; `metric` is the monitored metric of the epoch just finished. */
  step(metric?: number): void;
  /** JSON-serialisable state, stored in checkpoints. */
  stateDict(): Record<string, unknown>;
  /** Restores a {@link Scheduler.stateDict}. */
  loadStateDict(state: Record<string, unknown>): void;
}

/**
 * The shared part of {@link StepLR} and {@link MultiStepLR}: PyTorch's chainable form, where each `step()`
 * multiplies the current rates by a factor that depends only on the epoch count.
 */
abstract class MultiplicativeScheduler implements Scheduler {
  /** Epochs stepped so far (PyTorch's `last_epoch`; 0 after construction). */
  lastEpoch = 0;

  constructor(protected readonly optimizer: HasParamGroups) {}

  /** The factor applied when moving to `epoch`. */
  protected abstract factor(epoch: number): number;

  /** Moves to the next epoch; the rate follows the epoch count alone, so a metric given is ignored. */
  step(_metric?: number): void {
    this.lastEpoch += 1;
    const factor = this.factor(this.lastEpoch);
    if (factor !== 1) for (const group of this.optimizer.paramGroups) group.lr *= factor;
  }

  /** The groups' current learning rates (PyTorch's `get_last_lr()`). */
  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  stateDict(): Record<string, unknown> {
    return { lastEpoch: this.lastEpoch };
  }

  loadStateDict(state: Record<string, unknown>): void {
    this.lastEpoch = Number(state.lastEpoch ?? 0);
  }
}

/** Multiplies the rate by `gamma` every `stepSize` epochs (`torch.optim.lr_scheduler.StepLR`). */
export class StepLR extends MultiplicativeScheduler {
  readonly stepSize: number;
  readonly gamma: number;

  constructor(optimizer: HasParamGroups, options: { stepSize: number; gamma?: number }) {
    super(optimizer);
    if (!(Number.isInteger(options.stepSize) && options.stepSize > 0)) {
      throw new RangeError(`StepLR stepSize must be a positive integer, got ${options.stepSize}`);
    }
    this.stepSize = options.stepSize;
    this.gamma = options.gamma ?? 0.1;
  }

  protected factor(epoch: number): number {
    return epoch % this.stepSize === 0 ? this.gamma : 1;
  }
}

/**
 * Multiplies the rate by `gamma` at each milestone epoch, once per time the milestone is listed
 * (`torch.optim.lr_scheduler.MultiStepLR`).
 */
export class MultiStepLR extends MultiplicativeScheduler {
  readonly milestones: number[];
  readonly gamma: number;

  constructor(optimizer: HasParamGroups, options: { milestones: number[]; gamma?: number }) {
    super(optimizer);
    this.milestones = [...options.milestones].sort((a, b) => a - b);
    this.gamma = options.gamma ?? 0.1;
  }

  protected factor(epoch: number): number {
    const count = this.milestones.filter((m) => m === epoch).length;
    return this.gamma ** count;
  }
}

/**
 * The 2014 paper's schedule: the rate is multiplied by 250^(-1/3) at 25%, 50% and 75% of `epochs` (so it ends
 * 250 times lower), stepped once per epoch.
 */
export function paperSchedule(optimizer: HasParamGroups, epochs: number): MultiStepLR {
  const milestones = [0.25, 0.5, 0.75].map((f) => Math.max(1, Math.round(f * epochs)));
  return new MultiStepLR(optimizer, { milestones, gamma: 250 ** (-1 / 3) });
}

/** Options of {@link ReduceLROnPlateau}; names and defaults follow PyTorch. */
export interface ReduceLROnPlateauOptions {
  /** Whether a lower (`'min'`, default) or higher (`'max'`) metric is better. */
  mode?: 'min' | 'max';
  /** Factor the rate is multiplied by (default 0.1). */
  factor?: number;
  /** Epochs without improvement tolerated: the rate drops when the count exceeds it (default 10). */
  patience?: number;
  /** Smallest change that counts as an improvement (default 1e-4). */
  threshold?: number;
  /** `'rel'` (default): relative to the best value; `'abs'`: absolute. */
  thresholdMode?: 'rel' | 'abs';
  /** Epochs after a drop during which bad epochs are not counted (default 0). */
  cooldown?: number;
  /** Lowest rate, for all groups or one per group (default 0). */
  minLr?: number | number[];
  /** Drops smaller than this are skipped (default 1e-8). */
  eps?: number;
}

/**
 * Lowers the learning rate when a metric stops improving, exactly as `torch.optim.lr_scheduler.ReduceLROnPlateau`:
 * better means `a < best * (1 - threshold)` (rel, min), `a < best - threshold` (abs, min), mirrored for max; the
 * rate drops when the count of bad epochs exceeds `patience`; during cooldown the count is held at 0; drops smaller
 * than `eps` are skipped. A NaN metric counts as a bad epoch. A {@link Scheduler} that needs the metric: {@link fit}
 * passes the monitored one, so set `mode: 'max'` when it is an accuracy.
 */
export class ReduceLROnPlateau implements Scheduler {
  readonly mode: 'min' | 'max';
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: 'rel' | 'abs';
  readonly cooldown: number;
  readonly minLrs: number[];
  readonly eps: number;
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  lastEpoch = 0;

  constructor(
    private readonly optimizer: HasParamGroups,
    options: ReduceLROnPlateauOptions = {},
  ) {
    this.mode = options.mode ?? 'min';
    this.factor = options.factor ?? 0.1;
    this.patience = options.patience ?? 10;
    this.threshold = options.threshold ?? 1e-4;
    this.thresholdMode = options.thresholdMode ?? 'rel';
    this.cooldown = options.cooldown ?? 0;
    this.eps = options.eps ?? 1e-8;
    if (this.mode !== 'min' && this.mode !== 'max') throw new Error(`mode must be 'min' or 'max', got ${this.mode}`);
    if (this.thresholdMode !== 'rel' && this.thresholdMode !== 'abs') {
      throw new Error(`thresholdMode must be 'rel' or 'abs', got ${this.thresholdMode}`);
    }
    if (!(this.factor < 1)) throw new RangeError(`factor should be < 1.0, got ${this.factor}`);
    const groups = optimizer.paramGroups.length;
    const minLr = options.minLr ?? 0;
    if (Array.isArray(minLr) && minLr.length !== groups) {
      throw new Error(`minLr has ${minLr.length} values for ${groups} parameter groups`);
    }
    this.minLrs = Array.isArray(minLr) ? [...minLr] : new Array(groups).fill(minLr);
    this.best = this.mode === 'min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  }

  /** Records the epoch's metric and lowers the rate if it has not improved for long enough. */
  step(metric?: number): void {
    if (metric === undefined) {
      throw new TypeError("ReduceLROnPlateau.step needs the epoch's metric (for example the validation loss)");
    }
    this.lastEpoch += 1;
    if (this.isBetter(metric, this.best)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      this.reduce();
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
  }

  /** Whether `a` improves on `best` by more than the threshold. */
  isBetter(a: number, best: number): boolean {
    if (this.mode === 'min') {
      return this.thresholdMode === 'rel' ? a < best * (1 - this.threshold) : a < best - this.threshold;
    }
    return this.thresholdMode === 'rel' ? a > best * (this.threshold + 1) : a > best + this.threshold;
  }

  /** The groups' current learning rates (PyTorch's `get_last_lr()`). */
  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  stateDict(): Record<string, unknown> {
    return {
      best: encodeNumber(this.best),
      numBadEpochs: this.numBadEpochs,
      cooldownCounter: this.cooldownCounter,
      lastEpoch: this.lastEpoch,
    };
  }

  loadStateDict(state: Record<string, unknown>): void {
    this.best = decodeNumber(state.best);
    this.numBadEpochs = Number(state.numBadEpochs ?? 0);
    this.cooldownCounter = Number(state.cooldownCounter ?? 0);
    this.lastEpoch = Number(state.lastEpoch ?? 0);
  }

  private reduce(): void {
    this.optimizer.paramGroups.forEach((group, i) => {
      const old = group.lr;
      const lowered = Math.max(old * this.factor, this.minLrs[i]);
      if (old - lowered > this.eps) group.lr = lowered;
    });
  }
}

/** JSON has no infinities: they are stored as strings. */
function encodeNumber(value: number): number | string {
  return Number.isFinite(value) ? value : String(value);
}

function decodeNumber(value: unknown): number {
  return typeof value === 'string' ? Number(value) : Number(value);
}
