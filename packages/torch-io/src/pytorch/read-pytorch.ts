import { decodeElements, ELEMENT_TYPES, type ElementTypeName } from '../elements.js';
import { unpickle } from '../pickle/unpickle.js';
import { PickleGlobal, PickleObject } from '../pickle/values.js';
import type { RawTensor } from '../raw-tensor.js';
import { isZip, readZip } from '../zip/read-zip.js';
import { keyName } from './key-name.js';

/**
 * Reading PyTorch checkpoints (`torch.save`) without Python: the zip format of torch >= 1.6 and the legacy format
 * before it. Tensors become {@link RawTensor}s; everything else in the file (epochs, optimiser state, config)
 * comes back as plain values, so a training checkpoint reads whole.
 */

/** Storage classes by name; a `Map`, so that a name such as `toString` is not found in it. */
const STORAGE_TYPES = new Map<string, ElementTypeName>([
  ['FloatStorage', 'float32'],
  ['DoubleStorage', 'float64'],
  ['HalfStorage', 'float16'],
  ['BFloat16Storage', 'bfloat16'],
  ['LongStorage', 'int64'],
  ['IntStorage', 'int32'],
  ['ShortStorage', 'int16'],
  ['CharStorage', 'int8'],
  ['ByteStorage', 'uint8'],
  ['BoolStorage', 'bool'],
]);

/** The zip-format magic number the legacy format starts with. */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

interface Storage {
  /** The storage's key in the file (`archive/data/<key>`, or the legacy format's key list). */
  key: string;
  type: ElementTypeName;
  bytes: Uint8Array;
}

/** How far {@link readPyTorch} lets a file's tensor views go. */
export interface ReadPyTorchOptions {
  /**
   * Accept views with more elements than their storage holds (a stride of 0 repeats an element, as
   * `tensor.expand` does). Off by default: `torch.save` of a state dict never writes one, and a tiny file could
   * otherwise ask for gigabytes.
   */
  allowExpandedViews?: boolean;
  /**
   * The most elements all of a file's tensors may hold together once decoded. Default: 4 times the file's size in
   * bytes, which every ordinary checkpoint stays under (a float32 storage holds a quarter of its bytes in elements;
   * only widened 1-byte types or many views of one storage come near) and which bounds the memory a file can ask
   * for at 16 times its size.
   */
  maxElements?: number;
}

/** What the views of one file may still take, and the options they are checked against. */
interface ViewBudget {
  readonly source: string;
  readonly allowExpandedViews: boolean;
  readonly maxElements: number;
  used: number;
}

/**
 * Reads a `.pth` / `.pt` file's object (what `torch.load` would return): tensors as {@link RawTensor}s (strided
 * views and storage offsets resolved, half / bfloat16 / double widened to float32, int64 narrowed to int32), dicts
 * as `Map`s, other values as {@link unpickle} gives them. Both formats are read: the zip of torch >= 1.6 and the
 * legacy pickle stream before it. Nothing in the file runs: only tensor rebuilds and built-in containers resolve.
 *
 * Every view is checked against its storage before it is decoded: it must stay inside it, it may not have more
 * elements than the storage unless `options.allowExpandedViews`, and all tensors together may not pass
 * `options.maxElements`.
 *
 * @param source - names the file in errors.
 * @param options - how far views may go ({@link ReadPyTorchOptions}).
 * @throws Error starting with `source`, for a file that is not a checkpoint, a truncated one, or a big-endian one,
 * or a tensor (named by its key) whose view leaves its storage, expands it, or passes the element limit.
 */
export function readPyTorch(
  bytes: Uint8Array,
  source = 'PyTorch checkpoint',
  options: ReadPyTorchOptions = {},
): unknown {
  const budget: ViewBudget = {
    source,
    allowExpandedViews: options.allowExpandedViews ?? false,
    maxElements: options.maxElements ?? 4 * bytes.byteLength,
    used: 0,
  };
  try {
    return isZip(bytes) ? readZipFormat(bytes, source, budget) : readLegacyFormat(bytes, source, budget);
  } catch (error) {
    const message = (error as Error).message;
    throw new Error(message.startsWith(source) ? message : `${source}: ${message}`, { cause: error });
  }
}

/** A persistent id: a tuple such as `('storage', torch.FloatStorage, key, location, numel)`. */
function persistentId(pid: unknown): unknown[] {
  if (!Array.isArray(pid)) throw new Error(`persistent id ${keyName(pid)} is not a tuple`);
  return pid;
}

function storageType(type: unknown): ElementTypeName {
  const name = type instanceof PickleGlobal ? type.name : keyName(type);
  const element = STORAGE_TYPES.get(name);
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

  /** Checks the view against its storage and the budget, then decodes it; `name` is its key, when known. */
  decode(name: string, budget: ViewBudget): RawTensor {
    const what = name === '' ? 'a tensor' : `tensor "${name}"`;
    const fail = (why: string): never => {
      throw new Error(`${budget.source}: ${what} ${why}`);
    };
    const { storage, offset, shape, strides } = this;
    if (!(storage instanceof Object) || !(storage.bytes instanceof Uint8Array)) fail('has no storage');
    if (!isCount(offset) || !isCounts(shape) || !isCounts(strides) || strides.length !== shape.length) {
      fail(`has a malformed view (offset ${keyName(offset)}, shape ${keyName(shape)}, stride ${keyName(strides)})`);
    }
    const stored = Math.floor(storage.bytes.byteLength / ELEMENT_TYPES[storage.type].bytes);
    const where = `storage ${storage.key} (${stored} elements)`;
    const count = shape.reduce((a, b) => a * b, 1);
    if (count > 0) {
      const last = shape.reduce((end, size, d) => end + (size - 1) * strides[d], offset);
      if (last >= stored) fail(`[${shape.join(', ')}] reads element ${last} of ${where}: outside it`);
    }
    if (count > stored && !budget.allowExpandedViews) {
      fail(
        `[${shape.join(', ')}] has ${count} elements, more than ${where}: an expanded view (pass { allowExpandedViews: true } to read it)`,
      );
    }
    budget.used += count;
    if (budget.used > budget.maxElements) {
      fail(
        `[${shape.join(', ')}] brings the file's tensors to ${budget.used} elements, over the limit of ${budget.maxElements} (raise it with { maxElements })`,
      );
    }
    try {
      return decodeElements(storage.bytes, storage.type, shape, offset, strides);
    } catch (error) {
      return fail((error as Error).message);
    }
  }
}

const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const isCounts = (value: unknown): value is number[] => Array.isArray(value) && value.every(isCount);

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

/**
 * Replaces every {@link PendingTensor} in a decoded object with its {@link RawTensor}, naming each by its key path
 * (`model.features.0.weight`). A loop over a work list rather than recursion, and each container visited once, so a
 * deeply nested or self-referencing pickle cannot overflow the stack; a tensor the pickle shares is decoded once.
 */
function materialize(root: unknown, budget: ViewBudget): unknown {
  const decoded = new Map<PendingTensor, RawTensor>();
  const decode = (tensor: PendingTensor, name: string): RawTensor => {
    let raw = decoded.get(tensor);
    if (!raw) {
      raw = tensor.decode(name, budget);
      decoded.set(tensor, raw);
    }
    return raw;
  };
  if (root instanceof PendingTensor) return decode(root, '');
  const seen = new Set<object>();
  const work: Array<[object, string]> = [];
  const visit = (value: unknown, name: string, replace: (tensor: RawTensor) => void) => {
    if (value instanceof PendingTensor) replace(decode(value, name));
    else if (value instanceof Map || Array.isArray(value) || value instanceof PickleObject) work.push([value, name]);
  };
  visit(root, '', () => undefined);
  for (let next = work.pop(); next; next = work.pop()) {
    const [container, name] = next;
    if (seen.has(container)) continue;
    seen.add(container);
    if (container instanceof Map) {
      for (const [key, value] of container) {
        visit(value, name === '' ? keyName(key) : `${name}.${keyName(key)}`, (t) => container.set(key, t));
      }
    } else if (Array.isArray(container)) {
      for (let i = 0; i < container.length; i++) {
        visit(container[i], `${name}[${i}]`, (t) => {
          container[i] = t;
        });
      }
    } else if (container instanceof PickleObject) {
      visit(container.args, name, () => undefined);
      visit(container.state, name, (t) => {
        container.state = t;
      });
    }
  }
  return root;
}

function readZipFormat(bytes: Uint8Array, source: string, budget: ViewBudget): unknown {
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
      const [kind, type, id] = persistentId(pid);
      if (kind !== 'storage') throw new Error(`unknown persistent id ${keyName(kind)}`);
      const key = keyName(id);
      let storage = storages.get(key);
      if (!storage) {
        const data = entries.get(`${prefix}data/${key}`);
        if (!data) throw new Error(`storage ${key} is missing from the archive (truncated?)`);
        storage = { key, type: storageType(type), bytes: data };
        storages.set(key, storage);
      }
      return storage;
    },
  });
  return materialize(value, budget);
}

function readLegacyFormat(bytes: Uint8Array, source: string, budget: ViewBudget): unknown {
  if (bytes.byteLength >= 262 && new TextDecoder().decode(bytes.subarray(257, 262)) === 'ustar') {
    throw new Error(`${source} uses the tar format of PyTorch < 0.4; load and re-save it with a newer PyTorch`);
  }
  if (bytes[0] !== 0x80) throw new Error(`${source} is neither a zip archive nor a pickle: not a PyTorch checkpoint`);
  const magic = unpickle(bytes, {}, 0);
  if (typeof magic.value !== 'bigint' || magic.value !== LEGACY_MAGIC) {
    throw new Error(`${source} is a pickle but not a PyTorch checkpoint (wrong magic number)`);
  }
  const protocol = unpickle(bytes, {}, magic.end);
  if (protocol.value !== 1001) throw new Error(`${source} has unsupported legacy protocol ${keyName(protocol.value)}`);
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
        const [kind, type, key, , numel, view] = persistentId(pid);
        if (kind !== 'storage') throw new Error(`unknown persistent id ${keyName(kind)}`);
        if (view) throw new Error('storage views of the PyTorch < 1.0 legacy format are not supported');
        if (!isCount(numel)) throw new Error(`storage ${keyName(key)} has a bad size ${keyName(numel)}`);
        let storage = storages.get(keyName(key));
        if (!storage) {
          storage = { key: keyName(key), type: storageType(type), bytes: new Uint8Array(), numel };
          storages.set(keyName(key), storage);
        }
        return storage;
      },
    },
    sysInfo.end,
  );
  const keys = unpickle(bytes, {}, main.end);
  if (!Array.isArray(keys.value)) throw new Error('the storage key list is not a list');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = keys.end;
  const listed = new Set<string>();
  for (const key of keys.value as string[]) {
    const storage = storages.get(keyName(key));
    if (!storage) throw new Error(`storage ${keyName(key)} is listed but never used`);
    // Listed twice, its second bytes would replace its first without a word.
    if (listed.has(storage.key)) throw new Error(`storage ${storage.key} is listed twice`);
    listed.add(storage.key);
    if (offset + 8 > bytes.byteLength) throw new Error(`storage ${key} is missing (truncated file?)`);
    const numel = Number(view.getBigInt64(offset, true));
    if (numel < 0) throw new Error(`storage ${key} has a negative size ${numel}`);
    const byteLength = numel * ELEMENT_TYPES[storage.type].bytes;
    offset += 8;
    if (offset + byteLength > bytes.byteLength) throw new Error(`storage ${key} is cut short (truncated file?)`);
    storage.bytes = bytes.subarray(offset, offset + byteLength);
    offset += byteLength;
  }
  // A storage the pickle uses but the key list leaves out has no bytes in the file: said, rather than "outside it".
  const unlisted = [...storages.keys()].find((key) => !listed.has(key));
  if (unlisted !== undefined) throw new Error(`storage ${unlisted} is used but not in the storage key list`);
  return materialize(main.value, budget);
}
