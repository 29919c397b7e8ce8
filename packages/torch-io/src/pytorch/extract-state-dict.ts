import { isRawTensor, type RawTensor, type RawTensors } from '../raw-tensor.js';

/** Where a training checkpoint keeps its weights, tried in this order. */
const STATE_DICT_KEYS = ['state_dict', 'model', 'model_state_dict', 'model_state', 'net'];

/**
 * The weights of a checkpoint read by `readPyTorch`, as tensors by name: the state dict at the top level, or
 * under `state_dict` / `model` (the seed article's checkpoints) / `model_state_dict` / `model_state` / `net`, with
 * DataParallel's `module.` prefix removed.
 *
 * @param source - names the file in errors.
 * @throws Error naming the top-level keys when no state dict is found.
 */
export function extractStateDict(checkpoint: unknown, source = 'PyTorch checkpoint'): RawTensors {
  const candidate = findStateDict(checkpoint);
  if (!candidate) {
    const keys = checkpoint instanceof Map ? [...checkpoint.keys()].map(String).join(', ') : typeof checkpoint;
    throw new Error(`${source} holds no state dict (tensors by name); top-level keys: ${keys}`);
  }
  const tensors: RawTensors = {};
  const names = [...candidate.keys()].map(String);
  const allPrefixed = names.length > 0 && names.every((n) => n.startsWith('module.'));
  for (const [key, value] of candidate) {
    const name = String(key);
    tensors[allPrefixed ? name.slice('module.'.length) : name] = value as RawTensor;
  }
  return tensors;
}

function findStateDict(value: unknown): Map<unknown, unknown> | undefined {
  if (!(value instanceof Map)) return undefined;
  const values = [...value.values()];
  if (values.length > 0 && values.every(isRawTensor)) return value;
  for (const key of STATE_DICT_KEYS) {
    const nested = findStateDict(value.get(key));
    if (nested) return nested;
  }
  return undefined;
}
