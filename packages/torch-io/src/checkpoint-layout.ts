/**
 * The one definition of how a training checkpoint of `@alexnet/trainer` lays out its tensors in one flat
 * safetensors file: the model's weights under `model.<name>`, the optimiser's momentum buffers under
 * `optimizer.<parameter>.momentum_buffer`. The trainer writes and resumes with it; `@alexnet/models` reads the
 * model's part of a checkpoint as weights with it.
 */

/** Prefix of the model's tensors in a checkpoint. */
export const MODEL_PREFIX = 'model.';
/** Prefix of the optimiser's tensors in a checkpoint. */
export const OPTIMIZER_PREFIX = 'optimizer.';
/** Suffix of a parameter's SGD momentum buffer, after {@link OPTIMIZER_PREFIX} and the parameter's name. */
export const MOMENTUM_BUFFER_SUFFIX = '.momentum_buffer';

/** A checkpoint's tensors by role, each keyed by the parameter's (or buffer's) name in the model. */
export interface CheckpointParts<T> {
  /** The model's state dict. */
  model: Record<string, T>;
  /** SGD momentum buffers, by the name of the parameter they belong to. */
  momentumBuffers: Record<string, T>;
}

/** The flat, prefixed tensors of a checkpoint file from its parts: model first, then momentum buffers. */
export function joinCheckpointTensors<T>(parts: CheckpointParts<T>): Record<string, T> {
  const tensors: Record<string, T> = {};
  for (const [name, tensor] of Object.entries(parts.model)) tensors[MODEL_PREFIX + name] = tensor;
  for (const [name, tensor] of Object.entries(parts.momentumBuffers)) {
    tensors[OPTIMIZER_PREFIX + name + MOMENTUM_BUFFER_SUFFIX] = tensor;
  }
  return tensors;
}

/**
 * A checkpoint file's tensors split into the model's and the momentum buffers, prefixes removed. Tensors under
 * neither prefix (or other optimiser state) are left out.
 */
export function splitCheckpointTensors<T>(tensors: Record<string, T>): CheckpointParts<T> {
  const parts: CheckpointParts<T> = { model: {}, momentumBuffers: {} };
  for (const [name, tensor] of Object.entries(tensors)) {
    if (name.startsWith(MODEL_PREFIX)) parts.model[name.slice(MODEL_PREFIX.length)] = tensor;
    else if (name.startsWith(OPTIMIZER_PREFIX) && name.endsWith(MOMENTUM_BUFFER_SUFFIX)) {
      parts.momentumBuffers[name.slice(OPTIMIZER_PREFIX.length, -MOMENTUM_BUFFER_SUFFIX.length)] = tensor;
    }
  }
  return parts;
}
