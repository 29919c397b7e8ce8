import { readFile } from 'node:fs/promises';
import { fromStateDict, toStateDict } from '@alexnet/layers';
import {
  joinCheckpointTensors,
  type RawTensors,
  readSafetensors,
  splitCheckpointTensors,
  writeSafetensors,
} from '@alexnet/torch-io';
import { linkAtomically, writeAtomically } from '@alexnet/torch-io/node';
import * as tf from '@tensorflow/tfjs-core';
import type { SGD, SGDState } from './sgd.js';

/** Where a run is, beyond its tensors: what a checkpoint's metadata holds. */
export interface TrainingState {
  /** Epochs completed. */
  epoch: number;
  /** Optimiser steps taken. */
  step: number;
  /** Best monitored metric so far and the epoch it came from. */
  best: { metric: string; value: number; epoch: number } | null;
  optimizer: SGDState['paramGroups'];
  scheduler: Record<string, unknown> | null;
  /** States of the run's random generators (dropout, shuffling), in the order fit was given them. */
  rng: unknown[];
  /** The run's configuration, as the caller gave it. */
  config: Record<string, unknown>;
}

/** A model whose weights a checkpoint can hold: a `@alexnet/layers` module or named variables. */
export interface CheckpointableModel {
  namedParameters(): Array<[string, tf.Variable]>;
  stateDict?(): Record<string, tf.Tensor>;
  loadStateDict?(dict: Record<string, tf.Tensor>, options?: { strict?: boolean }): unknown;
}

/**
 * Writes a checkpoint as one `.safetensors` file: model weights under `model.` (PyTorch layouts when the model has
 * a state dict), momentum buffers under `optimizer.<name>.momentum_buffer`, and the {@link TrainingState} as JSON
 * metadata (`checkpoint`), plus any `extraMetadata` (for example the model's name and preprocessing). The file is
 * written to a temporary name and renamed, so a crash never leaves a truncated checkpoint. Given several paths (the
 * last and the best checkpoint of an epoch), it serialises once and writes each.
 */
export async function saveCheckpoint(
  path: string | string[],
  model: CheckpointableModel,
  optimizer: SGD,
  state: Omit<TrainingState, 'optimizer'>,
  extraMetadata: Record<string, string> = {},
): Promise<void> {
  const weights = model.stateDict
    ? model.stateDict()
    : Object.fromEntries(model.namedParameters().map(([n, v]) => [n, tf.clone(v)]));
  const optimizerState = optimizer.stateDict();
  try {
    const buffers = Object.fromEntries(Object.entries(optimizerState.state).map(([n, s]) => [n, s.momentumBuffer]));
    const tensors = joinCheckpointTensors({
      model: await fromStateDict(weights),
      momentumBuffers: await fromStateDict(buffers),
    });
    const full: TrainingState = { ...state, optimizer: optimizerState.paramGroups };
    const bytes = writeSafetensors(tensors, { ...extraMetadata, checkpoint: JSON.stringify(full) });
    const [first, ...others] = Array.isArray(path) ? path : [path];
    await writeAtomically(first, bytes);
    for (const other of others) await linkAtomically(first, other, bytes);
  } finally {
    tf.dispose(Object.values(weights));
    tf.dispose(Object.values(optimizerState.state).map((s) => s.momentumBuffer));
  }
}

/** Reads a checkpoint written by {@link saveCheckpoint}: the state, and the tensors split into weights and buffers. */
export async function readCheckpoint(
  path: string,
): Promise<{ state: TrainingState; weights: RawTensors; buffers: RawTensors; metadata: Record<string, string> }> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') throw new Error(`Checkpoint not found: ${path}`);
    throw error;
  }
  const { tensors, metadata } = readSafetensors(bytes, path);
  if (!metadata.checkpoint)
    throw new Error(`${path} is a weights file, not a training checkpoint (no "checkpoint" metadata)`);
  const state = JSON.parse(metadata.checkpoint) as TrainingState;
  const { model: weights, momentumBuffers: buffers } = splitCheckpointTensors(tensors);
  return { state, weights, buffers, metadata };
}

/** Restores a model's weights and an optimiser's state from {@link readCheckpoint}'s result. */
export function restoreCheckpoint(
  checkpoint: Awaited<ReturnType<typeof readCheckpoint>>,
  model: CheckpointableModel,
  optimizer: SGD,
): void {
  const weights = toStateDict(checkpoint.weights);
  const buffers = toStateDict(checkpoint.buffers);
  try {
    if (model.loadStateDict) {
      model.loadStateDict(weights, { strict: true });
    } else {
      const variables = new Map(model.namedParameters());
      for (const [name, value] of Object.entries(weights)) {
        const variable = variables.get(name);
        if (!variable) throw new Error(`Checkpoint has weights for unknown parameter "${name}"`);
        variable.assign(value);
      }
    }
    optimizer.loadStateDict({
      state: Object.fromEntries(Object.entries(buffers).map(([n, t]) => [n, { momentumBuffer: t }])),
      paramGroups: checkpoint.state.optimizer,
    });
  } finally {
    tf.dispose([...Object.values(weights), ...Object.values(buffers)]);
  }
}
