import { decodeElements, ELEMENT_TYPES, type ElementTypeName } from '../elements.js';
import { unpickle } from '../pickle/unpickle.js';
import { type PickleGlobal, PickleObject } from '../pickle/values.js';
import type { RawTensor } from '../raw-tensor.js';
import { isZip, readZip } from '../zip/read-zip.js';

/**
 * Reading PyTorch checkpoints (`torch.save`) without Python: the zip format of torch >= 1.6 and the legacy format
 * before it. Tensors become {@link RawTensor}s; everything else in the file (epochs, optimiser state, config)
 * comes back as plain values, so a training checkpoint reads whole.
 */

const STORAGE_TYPES: Record<string, ElementTypeName> = {
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
};

/** The zip-format magic number the legacy format starts with. */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

interface Storage {
  type: ElementTypeName;
  bytes: Uint8Array;
}

/**
 * Reads a `.pth` / `.pt` file's object (what `torch.load` would return): tensors as {@link RawTensor}s (strided
 * views and storage offsets resolved, half / bfloat16 / double widened to float32, int64 narrowed to int32), dicts
 * as `Map`s, other values as {@link unpickle} gives them. Both formats are read: the zip of torch >= 1.6 and the
 * legacy pickle stream before it. Nothing in the file runs: only tensor rebuilds and built-in containers resolve.
 *
 * @param source - names the file in errors.
 * @throws Error starting with `source`, for a file that is not a checkpoint, a truncated one, or a big-endian one.
 */
export function readPyTorch(bytes: Uint8Array, source = 'PyTorch checkpoint'): unknown {
  try {
    return isZip(bytes) ? readZipFormat(bytes, source) : readLegacyFormat(bytes, source);
  } catch (error) {
    const message = (error as Error).message;
    throw new Error(message.startsWith(source) ? message : `${source}: ${message}`);
  }
}

function storageType(type: unknown): ElementTypeName {
  const name = (type as PickleGlobal)?.name ?? String(type);
  const element = STORAGE_TYPES[name];
  if (!element) throw new Error(`unsupported storage type ${name}`);
  return element;
}

/** A tensor named in the pickle whose storage bytes may not have been read yet (legacy files put them after). */
class PendingTensor {
  constructor(
    readonly storage: Storage,
    readonly offset: number,
    readonly shape: number[],
    readonly strides: number[],
  ) {}

  decode(): RawTensor {
    return decodeElements(this.storage.bytes, this.storage.type, this.shape, this.offset, this.strides);
  }
}

/** The callables a torch pickle names. `_rebuild_tensor_v2` is the one that matters. */
function torchClasses(module: string, name: string): ((...args: unknown[]) => unknown) | undefined {
  if (module === 'torch._utils' && (name === '_rebuild_tensor_v2' || name === '_rebuild_tensor')) {
    return (storage, storageOffset, size, stride) =>
      new PendingTensor(storage as Storage, storageOffset as number, size as number[], stride as number[]);
  }
  if (module === 'torch._utils' && (name === '_rebuild_parameter' || name === '_rebuild_parameter_with_state')) {
    return (data) => data;
  }
  return undefined;
}

/** Replaces every {@link PendingTensor} in a decoded object with its {@link RawTensor}. */
function materialize(value: unknown): unknown {
  if (value instanceof PendingTensor) return value.decode();
  if (value instanceof Map) {
    for (const [k, v] of value) value.set(k, materialize(v));
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = materialize(value[i]);
  } else if (value instanceof PickleObject) {
    materialize(value.args);
    value.state = materialize(value.state);
  }
  return value;
}

function readZipFormat(bytes: Uint8Array, source: string): unknown {
  const entries = readZip(bytes, source);
  const pickleName = [...entries.keys()].find((name) => name.endsWith('/data.pkl') || name === 'data.pkl');
  if (!pickleName) throw new Error(`${source} is a zip archive without data.pkl: not a PyTorch checkpoint`);
  const prefix = pickleName.slice(0, -'data.pkl'.length);
  const byteorder = entries.get(`${prefix}byteorder`);
  if (byteorder && new TextDecoder().decode(byteorder).trim() !== 'little') {
    throw new Error(`${source} was saved on a big-endian machine, which is not supported`);
  }
  const storages = new Map<string, Storage>();
  const { value } = unpickle(entries.get(pickleName) as Uint8Array, {
    findClass: torchClasses,
    persistentLoad(pid) {
      const [kind, type, key] = pid as [string, unknown, string];
      if (kind !== 'storage') throw new Error(`unknown persistent id ${String(kind)}`);
      let storage = storages.get(key);
      if (!storage) {
        const data = entries.get(`${prefix}data/${key}`);
        if (!data) throw new Error(`storage ${key} is missing from the archive (truncated?)`);
        storage = { type: storageType(type), bytes: data };
        storages.set(key, storage);
      }
      return storage;
    },
  });
  return materialize(value);
}

function readLegacyFormat(bytes: Uint8Array, source: string): unknown {
  if (bytes.byteLength >= 262 && new TextDecoder().decode(bytes.subarray(257, 262)) === 'ustar') {
    throw new Error(`${source} uses the tar format of PyTorch < 0.4; load and re-save it with a newer PyTorch`);
  }
  if (bytes[0] !== 0x80) throw new Error(`${source} is neither a zip archive nor a pickle: not a PyTorch checkpoint`);
  const magic = unpickle(bytes, {}, 0);
  if (BigInt(magic.value as number | bigint) !== LEGACY_MAGIC) {
    throw new Error(`${source} is a pickle but not a PyTorch checkpoint (wrong magic number)`);
  }
  const protocol = unpickle(bytes, {}, magic.end);
  if (protocol.value !== 1001) throw new Error(`${source} has unsupported legacy protocol ${String(protocol.value)}`);
  const sysInfo = unpickle(bytes, {}, protocol.end);
  const info = sysInfo.value as Map<string, unknown>;
  if (info instanceof Map && info.get('little_endian') === false) {
    throw new Error(`${source} was saved on a big-endian machine, which is not supported`);
  }
  // Storages are referenced by key in the main pickle; their bytes follow it, in the order of a key list, each
  // preceded by its element count as an 8-byte little-endian integer.
  const storages = new Map<string, Storage & { numel: number }>();
  const main = unpickle(
    bytes,
    {
      findClass: torchClasses,
      persistentLoad(pid) {
        const [kind, type, key, , numel, view] = pid as [string, unknown, string, string, number, unknown];
        if (kind !== 'storage') throw new Error(`unknown persistent id ${String(kind)}`);
        if (view) throw new Error('storage views of the PyTorch < 1.0 legacy format are not supported');
        let storage = storages.get(key);
        if (!storage) {
          storage = { type: storageType(type), bytes: new Uint8Array(), numel };
          storages.set(key, storage);
        }
        return storage;
      },
    },
    sysInfo.end,
  );
  const keys = unpickle(bytes, {}, main.end);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = keys.end;
  for (const key of keys.value as string[]) {
    const storage = storages.get(key);
    if (!storage) throw new Error(`storage ${key} is listed but never used`);
    if (offset + 8 > bytes.byteLength) throw new Error(`storage ${key} is missing (truncated file?)`);
    const numel = Number(view.getBigInt64(offset, true));
    const byteLength = numel * ELEMENT_TYPES[storage.type].bytes;
    offset += 8;
    if (offset + byteLength > bytes.byteLength) throw new Error(`storage ${key} is cut short (truncated file?)`);
    storage.bytes = bytes.subarray(offset, offset + byteLength);
    offset += byteLength;
  }
  return materialize(main.value);
}
