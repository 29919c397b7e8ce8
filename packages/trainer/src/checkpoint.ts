import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fromStateDict, toStateDict } from '@alexnet/layers';
import {
  joinCheckpointTensors,
  type RawTensors,
  readSafetensors,
  splitCheckpointTensors,
  TENSOR_DATA_CHECKSUM_KEY,
  writeSafetensors,
} from '@alexnet/torch-io';
import { linkAtomically, writeAtomically } from '@alexnet/torch-io/node';
import * as tf from '@tensorflow/tfjs-core';
import type { Optimizer, OptimizerState } from './optimizer.js';

/** Where a run is, beyond its tensors: what a checkpoint's metadata holds. */
export interface TrainingState {
  /** Epochs completed. */
  epoch: number;
  /** Optimiser steps taken. */
  step: number;
  /** Best monitored metric so far and the epoch it came from. */
  best: { metric: string; value: number; epoch: number } | null;
  /** The optimiser's parameter groups (names and hyperparameters); its state tensors are the file's tensors. */
  optimizer: OptimizerState['paramGroups'];
  scheduler: Record<string, unknown> | null;
  /** States of the run's random generators (dropout, shuffling), in the order fit was given them. */
  rng: unknown[];
  /** The run's configuration, as the caller gave it. */
  config: Record<string, unknown>;
}

/** The metadata key of the {@link TrainingState}, as JSON. */
const STATE_KEY = 'checkpoint';

/** A model whose weights a checkpoint can hold: a `@alexnet/layers` module or named variables. */
export interface CheckpointableModel {
  namedParameters(): Array<[string, tf.Variable]>;
  stateDict?(): Record<string, tf.Tensor>;
  loadStateDict?(dict: Record<string, tf.Tensor>, options?: { strict?: boolean }): unknown;
}

/**
 * Writes a checkpoint as one `.safetensors` file: model weights under `model.` (PyTorch layouts when the model has
 * a state dict), the optimiser's state tensors under `optimizer.<name>.<state_name>` (SGD's momentum buffers as
 * `optimizer.<name>.momentum_buffer`), and the {@link TrainingState} as JSON metadata (`checkpoint`), plus any
 * `extraMetadata` (for example the model's name and preprocessing). The file is written to a temporary name and
 * renamed, so a crash never leaves a truncated checkpoint. Given several paths (the last and the best checkpoint of
 * an epoch), it serialises once and writes each.
 */
export async function saveCheckpoint(
  path: string | string[],
  model: CheckpointableModel,
  optimizer: Optimizer,
  state: Omit<TrainingState, 'optimizer'>,
  extraMetadata: Record<string, string> = {},
): Promise<void> {
  const weights = model.stateDict
    ? model.stateDict()
    : Object.fromEntries(model.namedParameters().map(([n, v]) => [n, tf.clone(v)]));
  const optimizerState = optimizer.stateDict();
  try {
    const modelTensors = await fromStateDict(weights);
    const stateTensors: Record<string, RawTensors> = {};
    for (const [name, entries] of Object.entries(optimizerState.state))
      stateTensors[name] = await fromStateDict(entries);
    const tensors = joinCheckpointTensors({ model: modelTensors, optimizerState: stateTensors });
    const full: TrainingState = { ...state, optimizer: optimizerState.paramGroups };
    const bytes = writeSafetensors(tensors, {
      ...extraMetadata,
      [STATE_KEY]: JSON.stringify(full),
      [TENSOR_DATA_CHECKSUM_KEY]: tensorDataChecksum(tensors),
    });
    const [first, ...others] = Array.isArray(path) ? path : [path];
    await writeAtomically(first, bytes);
    for (const other of others) await linkAtomically(first, other, bytes);
  } finally {
    tf.dispose(Object.values(weights));
    tf.dispose(Object.values(optimizerState.state).flatMap((entries) => Object.values(entries)));
  }
}

/**
 * The SHA-256 of the data section `writeSafetensors` lays out for `tensors`: each tensor's bytes, in key order, with
 * nothing between them. Hashing the tensors rather than the written file avoids serialising twice; `readCheckpoint`
 * hashes the file's data section, so a change to that layout fails every checkpoint test at once.
 */
function tensorDataChecksum(tensors: RawTensors): string {
  const hash = createHash('sha256');
  for (const tensor of Object.values(tensors))
    hash.update(new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength));
  return hash.digest('hex');
}

/** Throws when a checkpoint's data section (after its header) does not hash to the checksum written with it. */
function verifyTensorData(bytes: Uint8Array, metadata: Record<string, string>, path: string): void {
  const expected = metadata[TENSOR_DATA_CHECKSUM_KEY];
  if (expected === undefined) return; // written before checkpoints carried a checksum
  // readSafetensors has already checked that the header length fits in the file.
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  const actual = createHash('sha256')
    .update(bytes.subarray(8 + headerLength))
    .digest('hex');
  if (actual !== expected) {
    throw new Error(
      `${path} is damaged: its tensor data does not match the checksum written with it (SHA-256 ${actual}, expected ${expected} in the "${TENSOR_DATA_CHECKSUM_KEY}" metadata)`,
    );
  }
}

/** The {@link TrainingState} in a checkpoint's metadata; invalid JSON is an error naming the file and the key. */
function parseState(metadata: Record<string, string>, path: string): TrainingState {
  let state: unknown;
  try {
    state = JSON.parse(metadata[STATE_KEY]);
  } catch (error) {
    throw new Error(`${path} has invalid JSON in its "${STATE_KEY}" metadata: ${(error as Error).message}`);
  }
  if (typeof state !== 'object' || state === null || Array.isArray(state))
    throw new Error(`${path} has a "${STATE_KEY}" metadata entry that is not a JSON object`);
  return state as TrainingState;
}

/**
 * The safetensors file a checkpoint is; a PyTorch file (a zip, or a legacy pickle) is named as one, where
 * safetensors' own check said its "header length 85966670672 exceeds the file size".
 */
function readCheckpointFile(bytes: Uint8Array, path: string): ReturnType<typeof readSafetensors> {
  try {
    return readSafetensors(bytes, path);
  } catch (error) {
    const zip = bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
    const pickle = bytes[0] === 0x80 && bytes[1] >= 2 && bytes[1] <= 5;
    if (!zip && !pickle) throw error;
    throw new Error(
      `${path} is a PyTorch file, not a training checkpoint (the .safetensors of saveCheckpoint and alexnet train); to start from its weights, use alexnet train --weights`,
      { cause: error },
    );
  }
}

/** A checkpoint as {@link readCheckpoint} reads it: tensors stay raw (no backend memory) until restored. */
export interface Checkpoint {
  state: TrainingState;
  /** The model's weights, under their state-dict names. */
  weights: RawTensors;
  /** The optimiser's state tensors: parameter name, then camel-case state name, as {@link OptimizerState.state}. */
  optimizerState: Record<string, RawTensors>;
  /** SGD's momentum buffers by parameter name: the `momentumBuffer` entries of `optimizerState`. */
  buffers: RawTensors;
  /** The file's metadata, `checkpoint` (the state as JSON) included. */
  metadata: Record<string, string>;
}

/**
 * Reads a checkpoint written by {@link saveCheckpoint}: the state, and the tensors split into weights and optimiser
 * state.
 *
 * @throws Error naming `path` for a missing file, a file that is not a checkpoint, tensor data that does not match
 * the checksum written with it (checkpoints written before checksums load unchecked), or invalid state JSON.
 */
export async function readCheckpoint(path: string): Promise<Checkpoint> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') throw new Error(`Checkpoint not found: ${path}`);
    throw error;
  }
  const { tensors, metadata } = readCheckpointFile(bytes, path);
  if (!metadata[STATE_KEY])
    throw new Error(`${path} is a weights file, not a training checkpoint (no "${STATE_KEY}" metadata)`);
  verifyTensorData(bytes, metadata, path);
  const state = parseState(metadata, path);
  const { model: weights, optimizerState } = splitCheckpointTensors(tensors);
  const buffers: RawTensors = {};
  for (const [parameter, entries] of Object.entries(optimizerState)) {
    if (entries.momentumBuffer) buffers[parameter] = entries.momentumBuffer;
  }
  return { state, weights, optimizerState, buffers, metadata };
}

/** Restores a model's weights and an optimiser's state from {@link readCheckpoint}'s result. */
export function restoreCheckpoint(checkpoint: Checkpoint, model: CheckpointableModel, optimizer: Optimizer): void {
  const weights = toStateDict(checkpoint.weights);
  const state = Object.fromEntries(
    Object.entries(checkpoint.optimizerState).map(([name, entries]) => [name, toStateDict(entries)]),
  );
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
    optimizer.loadStateDict({ state, paramGroups: checkpoint.state.optimizer });
  } finally {
    tf.dispose([...Object.values(weights), ...Object.values(state).flatMap((entries) => Object.values(entries))]);
  }
}
