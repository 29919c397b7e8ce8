import type { ClassificationResult } from './metrics.js';

/** One finished epoch, as logged and returned. */
export interface EpochRecord {
  type: 'epoch';
  epoch: number;
  /** Optimiser steps taken so far. */
  step: number;
  /** Learning rate of the first group during the epoch. */
  lr: number;
  train: ClassificationResult;
  val: ClassificationResult | null;
  seconds: number;
  imagesPerSecond: number;
}

/** Sent after every optimiser step; `loss` is read back from the backend only every `logEvery` steps. */
export interface StepEvent {
  epoch: number;
  step: number;
  /** Batches done in this epoch. */
  batch: number;
  /** Images done in this epoch. */
  images: number;
  lr: number;
  loss: number | null;
  imagesPerSecond: number;
}
