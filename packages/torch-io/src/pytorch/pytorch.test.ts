import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PickleWriter } from '../pickle/pickle-writer.js';
import { isRawTensor, type RawTensor } from '../raw-tensor.js';
import { readSafetensors } from '../safetensors.js';
import { writeStoredZip } from '../zip/write-zip.js';
import { extractStateDict } from './extract-state-dict.js';
import { readPyTorch } from './read-pytorch.js';
import { writePyTorch } from './write-pytorch.js';

// Written by scripts/fixtures/pytorch_reference.py.
const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../../fixtures/${name}`, import.meta.url)));
const expected = readSafetensors(fixture('views.expected.safetensors')).tensors;

describe('readPyTorch', () => {
  for (const file of ['views.pth', 'views.legacy.pth']) {
    it(`${file}: strided views with offsets, 0-d tensors, float16 and float64 storages`, () => {
      const value = readPyTorch(fixture(file), file) as Map<string, RawTensor>;
      expect(value).toBeInstanceOf(Map);
      for (const key of ['t', 'scalar', 'half', 'double']) {
        const tensor = value.get(key) as RawTensor;
        expect(isRawTensor(tensor), key).toBe(true);
        expect(tensor.shape, key).toEqual(expected[key].shape);
        expect(Array.from(tensor.data), key).toEqual(Array.from(expected[key].data));
      }
    });
  }

  it('rejects files that are not checkpoints, and truncated ones, naming the file', () => {
    expect(() => readPyTorch(new TextEncoder().encode('hello'), 'notes.pth')).toThrow(
      /notes\.pth is neither a zip archive nor a pickle/,
    );
    const zip = fixture('views.pth');
    expect(() => readPyTorch(zip.subarray(0, zip.byteLength - 100), 'cut.pth')).toThrow(
      /cut\.pth .*(truncated|end of central directory)/,
    );
    const legacy = fixture('views.legacy.pth');
    expect(() => readPyTorch(legacy.subarray(0, legacy.byteLength - 10), 'cut.pth')).toThrow(
      /cut\.pth: storage .* (cut short|missing)/,
    );
  });
});

/** A zip checkpoint of one tensor "w": a view (offset, shape, stride) over a float storage of `stored` elements. */
function viewCheckpoint(
  offset: number,
  shape: number[],
  stride: number[],
  stored: number,
  storage: { type: string; data: Uint8Array } = { type: 'FloatStorage', data: new Uint8Array(0) },
): Uint8Array {
  const pickle = new PickleWriter();
  pickle.proto(2);
  pickle.global('collections', 'OrderedDict');
  pickle.emptyTuple();
  pickle.reduce();
  pickle.mark();
  pickle.string('w');
  pickle.global('torch._utils', '_rebuild_tensor_v2');
  pickle.mark();
  pickle.mark();
  pickle.string('storage');
  pickle.global('torch', storage.type);
  pickle.string('0');
  pickle.string('cpu');
  pickle.int(stored);
  pickle.tuple();
  pickle.persistentId();
  pickle.int(offset);
  pickle.intTuple(shape);
  pickle.intTuple(stride);
  pickle.bool(false);
  pickle.global('collections', 'OrderedDict');
  pickle.emptyTuple();
  pickle.reduce();
  pickle.tuple();
  pickle.reduce();
  pickle.setItems();
  pickle.stop();
  const data = new Float32Array(stored).map((_, i) => i + 1);
  return writeStoredZip([
    ['archive/data.pkl', pickle.bytes()],
    ['archive/data/0', storage.type === 'FloatStorage' ? new Uint8Array(data.buffer) : storage.data],
  ]);
}

describe('readPyTorch: views checked against their storage', () => {
  it('refuses a tiny file whose stride-0 view asks for 250 million elements, naming the tensor and the file', () => {
    const hostile = viewCheckpoint(0, [250_000_000], [0], 1);
    expect(hostile.byteLength).toBeLessThan(1024);
    const started = performance.now();
    expect(() => readPyTorch(hostile, 'expand.pth')).toThrow(
      /^expand\.pth: tensor "w" \[250000000\] has 250000000 elements, more than storage 0 \(1 elements\): an expanded view \(pass \{ allowExpandedViews: true \}/,
    );
    expect(performance.now() - started).toBeLessThan(500);
    // Asked for, expansion is read; the element limit (4 x the file's bytes) still bounds it.
    expect(() => readPyTorch(hostile, 'expand.pth', { allowExpandedViews: true })).toThrow(
      /^expand\.pth: tensor "w" \[250000000\] brings the file's tensors to 250000000 elements, over the limit of \d+ \(raise it with \{ maxElements \}\)/,
    );
    const small = readPyTorch(viewCheckpoint(0, [2, 3], [0, 0], 1), 'small.pth', { allowExpandedViews: true });
    expect((small as Map<string, RawTensor>).get('w')).toEqual({
      dtype: 'float32',
      shape: [2, 3],
      data: new Float32Array(6).fill(1),
    });
  });

  it('refuses views that read outside their storage, expansion allowed or not', () => {
    for (const [offset, shape, stride] of [
      [0, [3], [1]],
      [2, [1], [1]],
      [0, [2, 2], [1, 2]],
    ] as Array<[number, number[], number[]]>) {
      expect(() =>
        readPyTorch(viewCheckpoint(offset, shape, stride, 2), 'oob.pth', { allowExpandedViews: true }),
      ).toThrow(/^oob\.pth: tensor "w" \[.*\] reads element \d+ of storage 0 \(2 elements\): outside it/);
    }
  });

  it('refuses an int64 element outside the int32 range it is read into, naming the tensor (never wraps it)', () => {
    const longs = new BigInt64Array([3n, 2n ** 40n, -(2n ** 31n)]);
    const file = viewCheckpoint(0, [3], [1], 3, { type: 'LongStorage', data: new Uint8Array(longs.buffer) });
    expect(() => readPyTorch(file, 'steps.pth')).toThrow(
      /^steps\.pth: tensor "w" holds 1099511627776 at element 1, outside the int32 range its int64 elements are read into$/,
    );
    const fits = new BigInt64Array([3n, 2n ** 31n - 1n, -(2n ** 31n)]);
    const read = readPyTorch(
      viewCheckpoint(0, [3], [1], 3, { type: 'LongStorage', data: new Uint8Array(fits.buffer) }),
    );
    expect(Array.from((read as Map<string, RawTensor>).get('w')?.data ?? [])).toEqual([3, 2 ** 31 - 1, -(2 ** 31)]);
  });

  it('still reads legitimate strided views: a transpose, an offset slice and an empty tensor', () => {
    const read = (offset: number, shape: number[], stride: number[]) =>
      Array.from(
        (readPyTorch(viewCheckpoint(offset, shape, stride, 6)) as Map<string, RawTensor>).get('w')?.data ?? [],
      );
    expect(read(0, [3, 2], [1, 3])).toEqual([1, 4, 2, 5, 3, 6]); // the transpose of a [2, 3] storage
    expect(read(4, [2], [1])).toEqual([5, 6]);
    expect(read(0, [0, 5], [5, 1])).toEqual([]);
    // The committed fixtures' views (transposes, slices with offsets) load under the default limits: see above.
    expect(() => readPyTorch(fixture('views.pth'), 'views.pth')).not.toThrow();
  });
});

/**
 * A legacy-format file (PyTorch < 1.6): magic, protocol, system info, a dict of float tensors `name -> [storage
 * key, numel]`, then the storage key list `listed` and, for each listed key, its element count and float32 bytes.
 */
function legacyCheckpoint(tensors: Array<[string, string, number]>, listed: Array<[string, number[]]>): Uint8Array {
  const magic = Uint8Array.of(0x80, 2, 0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e);
  const protocol = new PickleWriter();
  protocol.proto(2);
  protocol.int(1001);
  protocol.stop();
  const info = Uint8Array.of(0x80, 2, 0x7d, 0x2e); // {}
  const main = new PickleWriter();
  main.proto(2);
  main.global('collections', 'OrderedDict');
  main.emptyTuple();
  main.reduce();
  main.mark();
  for (const [name, key, numel] of tensors) {
    main.string(name);
    main.global('torch._utils', '_rebuild_tensor_v2');
    main.mark();
    main.mark();
    main.string('storage');
    main.global('torch', 'FloatStorage');
    main.string(key);
    main.string('cpu');
    main.int(numel);
    main.tuple();
    main.persistentId();
    main.int(0);
    main.intTuple([numel]);
    main.intTuple([1]);
    main.bool(false);
    main.global('collections', 'OrderedDict');
    main.emptyTuple();
    main.reduce();
    main.tuple();
    main.reduce();
  }
  main.setItems();
  main.stop();
  const keys = new PickleWriter();
  keys.proto(2);
  keys.mark();
  for (const [key] of listed) keys.string(key);
  keys.tuple(); // a tuple where torch writes a list: the reader takes either as the key list
  keys.stop();
  const data = listed.map(([, values]) => {
    const bytes = new Uint8Array(8 + 4 * values.length);
    new DataView(bytes.buffer).setBigInt64(0, BigInt(values.length), true);
    bytes.set(new Uint8Array(Float32Array.from(values).buffer), 8);
    return bytes;
  });
  const parts = [magic, protocol.bytes(), info, main.bytes(), keys.bytes(), ...data];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

describe('readPyTorch: the legacy format storage key list', () => {
  it('reads each listed storage, and refuses a key listed twice or a storage left out of the list', () => {
    const ok = readPyTorch(legacyCheckpoint([['w', '0', 2]], [['0', [1, 2]]]), 'ok.pth') as Map<string, RawTensor>;
    expect(Array.from(ok.get('w')?.data ?? [])).toEqual([1, 2]);
    expect(() =>
      readPyTorch(
        legacyCheckpoint(
          [['w', '0', 2]],
          [
            ['0', [1, 2]],
            ['0', [3, 4]],
          ],
        ),
        'twice.pth',
      ),
    ).toThrow(/^twice\.pth: storage 0 is listed twice$/);
    expect(() =>
      readPyTorch(
        legacyCheckpoint(
          [
            ['w', '0', 2],
            ['v', '1', 2],
          ],
          [['0', [1, 2]]],
        ),
        'left.pth',
      ),
    ).toThrow(/^left\.pth: storage 1 is used but not in the storage key list$/);
  });
});

describe('extractStateDict', () => {
  const t = (v: number): RawTensor => ({ dtype: 'float32', shape: [1], data: Float32Array.of(v) });

  it('finds the state dict at the top level, under model or state_dict, and strips DataParallel prefixes', () => {
    const flat = new Map<string, unknown>([['a.weight', t(1)]]);
    expect(Object.keys(extractStateDict(flat))).toEqual(['a.weight']);
    const nested = new Map<string, unknown>([
      ['epoch', 3],
      [
        'model',
        new Map([
          ['module.a.weight', t(1)],
          ['module.b.bias', t(2)],
        ]),
      ],
    ]);
    expect(Object.keys(extractStateDict(nested))).toEqual(['a.weight', 'b.bias']);
    const stateDict = new Map<string, unknown>([['state_dict', flat]]);
    expect(extractStateDict(stateDict)['a.weight'].data[0]).toBe(1);
  });

  it('gives a clean error naming the file for pickles nested far deeper than any stack, never a stack overflow', () => {
    // {'model': {'model': ... {}}} 50,000 levels deep (600 KB; a recursive reader overflows near 10,000), and a
    // dict keyed by a list nested as deep. Buffers are filled in place: spreads of this size are slow on a busy CI.
    const depth = 50_000;
    const key = Uint8Array.of(0x58, 5, 0, 0, 0, ...new TextEncoder().encode('model')); // BINUNICODE 'model'
    const dicts = new Uint8Array(2 + depth * (1 + key.length) + 1 + depth + 1);
    dicts.set([0x80, 2]);
    for (let i = 0; i < depth; i++) {
      const at = 2 + i * (1 + key.length);
      dicts[at] = 0x7d; // EMPTY_DICT
      dicts.set(key, at + 1);
    }
    dicts[2 + depth * (1 + key.length)] = 0x7d;
    dicts.fill(0x73, 3 + depth * (1 + key.length), -1); // SETITEM
    dicts[dicts.length - 1] = 0x2e; // STOP
    const deep = writeStoredZip([['archive/data.pkl', dicts]]);
    expect(() => extractStateDict(readPyTorch(deep, 'deep.pth'), 'deep.pth')).toThrow(
      /^deep\.pth nests its entries \(state_dict \/ model .*\) over 16 levels deep without a state dict/,
    );
    // PROTO 2, EMPTY_DICT, `depth` EMPTY_LISTs each appended to the one before, BINUNICODE 'a', SETITEM, STOP.
    const tail = Uint8Array.of(0x58, 1, 0, 0, 0, 0x61, 0x73, 0x2e);
    const keyedPickle = new Uint8Array(3 + depth + (depth - 1) + tail.length);
    keyedPickle.set([0x80, 2, 0x7d]);
    keyedPickle.fill(0x5d, 3, 3 + depth); // EMPTY_LIST
    keyedPickle.fill(0x61, 3 + depth, 3 + 2 * depth - 1); // APPEND
    keyedPickle.set(tail, 3 + 2 * depth - 1);
    const keyed = writeStoredZip([['archive/data.pkl', keyedPickle]]);
    expect(() => extractStateDict(readPyTorch(keyed, 'keyed.pth'), 'keyed.pth')).toThrow(
      /^keyed\.pth holds no state dict \(tensors by name\); top-level keys: \(a tuple of 1\)$/,
    );
    // Two levels, as real checkpoints nest it, are found.
    const t: RawTensor = { dtype: 'float32', shape: [1], data: Float32Array.of(1) };
    const twice = new Map([['model', new Map([['state_dict', new Map([['a', t]])]])]]);
    expect(Object.keys(extractStateDict(twice))).toEqual(['a']);
  }, 30_000);

  it('refuses two keys that read as one name, and a key named __proto__, rather than dropping a tensor', () => {
    const t: RawTensor = { dtype: 'float32', shape: [1], data: Float32Array.of(1) };
    expect(() =>
      extractStateDict(
        new Map<unknown, unknown>([
          [1, t],
          ['1', t],
        ]),
        'keys.pth',
      ),
    ).toThrow(/^keys\.pth: the state dict holds two keys named "1"$/);
    expect(() =>
      extractStateDict(
        new Map([
          ['__proto__', t],
          ['w', t],
        ]),
        'proto.pth',
      ),
    ).toThrow(/^proto\.pth: the state dict key "__proto__" cannot be read as a tensor name$/);
  });

  it('names the top-level keys when there is no state dict', () => {
    expect(() => extractStateDict(new Map([['epoch', 1]]), 'ckpt.pth')).toThrow(
      /ckpt\.pth holds no state dict .*top-level keys: epoch/,
    );
    // What it holds when it is no dict, in Python's words (it said "top-level keys: object" for None and a list).
    const cases: Array<[unknown, string]> = [
      [null, 'None'],
      [[1, 2, 3], 'a list or tuple of 3'],
      [7, 'the number 7'],
      [{ dtype: 'float32', shape: [1], data: Float32Array.of(1) }, 'a single tensor'],
    ];
    for (const [value, kind] of cases) {
      expect(() => extractStateDict(value, 'odd.pth')).toThrow(
        `odd.pth holds no state dict (tensors by name): it holds ${kind}, not a dict`,
      );
    }
  });
});

describe('writePyTorch', () => {
  it('writes a zip checkpoint that reads back tensor for tensor (torch.load reads it too: checked by hand)', () => {
    const tensors = {
      'features.0.weight': { dtype: 'float32' as const, shape: [2, 3], data: Float32Array.from([1, -2, 3, 4.5, 5, 6]) },
      scalar: { dtype: 'int32' as const, shape: [], data: Int32Array.from([300]) },
      big: { dtype: 'float32' as const, shape: [70_000], data: new Float32Array(70_000).fill(0.25) },
    };
    const bytes = writePyTorch(tensors);
    const back = readPyTorch(bytes) as Map<string, RawTensor>;
    expect([...back.keys()]).toEqual(['features.0.weight', 'scalar', 'big']);
    for (const [name, tensor] of Object.entries(tensors)) expect(back.get(name)).toEqual(tensor);
    expect(extractStateDict(back).big.data[69_999]).toBe(0.25);
  });
});
