/**
 * The one definition of how a training checkpoint of `@alexnet/trainer` lays out its tensors in one flat
 * safetensors file: the model's weights under `model.<name>`, each parameter's optimiser state under
 * `optimizer.<parameter>.<state_name>`, the state name in snake case as PyTorch names it (SGD's momentum buffer is
 * `optimizer.<parameter>.momentum_buffer`). The trainer writes and resumes with it; `@alexnet/models` reads the
 * model's part of a checkpoint as weights with it.
 */

/** Prefix of the model's tensors in a checkpoint. */
export const MODEL_PREFIX = 'model.';
/** Prefix of the optimiser's tensors in a checkpoint. */
export const OPTIMIZER_PREFIX = 'optimizer.';

/**
 * The metadata key of a checkpoint's checksum: the SHA-256 (hex) of the file's safetensors data section, every byte
 * after the header, which holds each tensor's bytes in the header's key order. Checkpoints written before it
 * existed have none and load unchecked.
 */
export const TENSOR_DATA_CHECKSUM_KEY = 'tensor_data_sha256';

/** A checkpoint's tensors by role, each keyed by the parameter's (or buffer's) name in the model. */
export interface CheckpointParts<T> {
  /** The model's state dict. */
  model: Record<string, T>;
  /**
   * The optimiser's state tensors by parameter name, then by state name in camel case, as the trainer's
   * optimisers hold them (SGD: `{ momentumBuffer }`).
   */
  optimizerState: Record<string, Record<string, T>>;
}

/**
 * The file key of a parameter's optimiser state tensor: `optimizer.<parameter>.<state_name>`, the camel-case
 * state name written in snake case (`momentumBuffer` is `momentum_buffer`).
 */
export function optimizerStateKey(parameter: string, stateName: string): string {
  if (!/^[a-z][A-Za-z0-9]*$/.test(stateName)) {
    throw new Error(`Optimizer state name "${stateName}" of "${parameter}" must be camel case (letters and digits)`);
  }
  return `${OPTIMIZER_PREFIX}${parameter}.${stateName.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`;
}

/** The parameter and camel-case state name of an {@link optimizerStateKey}, or null for another key. */
export function parseOptimizerStateKey(key: string): { parameter: string; stateName: string } | null {
  const dot = key.lastIndexOf('.');
  if (!key.startsWith(OPTIMIZER_PREFIX) || dot < OPTIMIZER_PREFIX.length) return null;
  const stateName = key.slice(dot + 1).replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  return { parameter: key.slice(OPTIMIZER_PREFIX.length, dot), stateName };
}

/** The flat, prefixed tensors of a checkpoint file from its parts: model first, then the optimiser's state. */
export function joinCheckpointTensors<T>(parts: CheckpointParts<T>): Record<string, T> {
  const tensors: Record<string, T> = {};
  for (const [name, tensor] of Object.entries(parts.model)) tensors[MODEL_PREFIX + name] = tensor;
  for (const [parameter, entries] of Object.entries(parts.optimizerState)) {
    for (const [stateName, tensor] of Object.entries(entries))
      tensors[optimizerStateKey(parameter, stateName)] = tensor;
  }
  return tensors;
}

/**
 * A checkpoint file's tensors split into the model's and the optimiser's state, prefixes removed. Tensors under
 * neither prefix are left out.
 */
export function splitCheckpointTensors<T>(tensors: Record<string, T>): CheckpointParts<T> {
  const parts: CheckpointParts<T> = { model: {}, optimizerState: {} };
  for (const [name, tensor] of Object.entries(tensors)) {
    if (name.startsWith(MODEL_PREFIX)) {
      parts.model[name.slice(MODEL_PREFIX.length)] = tensor;
      continue;
    }
    const key = parseOptimizerStateKey(name);
    if (!key) continue;
    parts.optimizerState[key.parameter] ??= {};
    parts.optimizerState[key.parameter][key.stateName] = tensor;
  }
  return parts;
}
