import { isRawTensor, type RawTensor, type RawTensors } from '../raw-tensor.js';
import { keyName } from './key-name.js';

/** Where a training checkpoint keeps its weights, tried in this order. */
const STATE_DICT_KEYS = ['state_dict', 'model', 'model_state_dict', 'model_state', 'net'];

/**
 * The weights of a checkpoint read by `readPyTorch`, as tensors by name: the state dict at the top level, or
 * under `state_dict` / `model` (the seed article's checkpoints) / `model_state_dict` / `model_state` / `net`, with
 * DataParallel's `module.` prefix removed.
 *
 * @param source - names the file in errors.
 * @throws Error naming the top-level keys when no state dict is found, or the key when two read as one name or
 * one is `__proto__`.
 */
export function extractStateDict(checkpoint: unknown, source = 'PyTorch checkpoint'): RawTensors {
  const candidate = findStateDict(checkpoint, source);
  if (!candidate) {
    if (!(checkpoint instanceof Map)) {
      throw new Error(`${source} holds no state dict (tensors by name): it holds ${kindOf(checkpoint)}, not a dict`);
    }
    const keys = [...checkpoint.keys()].slice(0, 20).map(keyName).join(', ');
    throw new Error(`${source} holds no state dict (tensors by name); top-level keys: ${keys}`);
  }
  const tensors: RawTensors = {};
  const names = [...candidate.keys()].map(keyName);
  const allPrefixed = names.length > 0 && names.every((n) => n.startsWith('module.'));
  for (const [i, value] of [...candidate.values()].entries()) {
    const name = allPrefixed ? names[i].slice('module.'.length) : names[i];
    // Two keys with one name (the int 1 and the string '1'), or `__proto__` (which would set the object's
    // prototype), would each lose a tensor without a word.
    if (name === '__proto__')
      throw new Error(`${source}: the state dict key "__proto__" cannot be read as a tensor name`);
    if (Object.hasOwn(tensors, name)) throw new Error(`${source}: the state dict holds two keys named "${name}"`);
    tensors[name] = value as RawTensor;
  }
  return tensors;
}

/**
 * How deep the state dict may sit under the {@link STATE_DICT_KEYS}: real checkpoints nest it one or two levels
 * (`{ model: { state_dict: ... } }`); a pickle can nest dicts a million deep in a few megabytes.
 */
const MAX_DEPTH = 16;

function findStateDict(value: unknown, source: string, depth = 0): Map<unknown, unknown> | undefined {
  if (!(value instanceof Map)) return undefined;
  const values = [...value.values()];
  if (values.length > 0 && values.every(isRawTensor)) return value;
  if (depth === MAX_DEPTH) {
    throw new Error(
      `${source} nests its entries (${STATE_DICT_KEYS.join(' / ')}) over ${MAX_DEPTH} levels deep without a state dict: not a checkpoint this reads`,
    );
  }
  for (const key of STATE_DICT_KEYS) {
    const nested = findStateDict(value.get(key), source, depth + 1);
    if (nested) return nested;
  }
  return undefined;
}

/** What a checkpoint that is no dict holds, in Python's words (`typeof` said "object" for None and for a list). */
function kindOf(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (isRawTensor(value)) return 'a single tensor';
  if (Array.isArray(value)) return `a list or tuple of ${value.length}`;
  if (typeof value === 'bigint' || typeof value === 'number') return `the number ${String(value)}`;
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  return 'an object';
}
