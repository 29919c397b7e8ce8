import { fixtureBytes } from '@alexnet/test-utils';
import { describe, expect, it } from 'vitest';
import { unpickle } from './pickle.js';
import { extractStateDict, readPyTorch } from './pytorch.js';
import { writePyTorch } from './pytorch-writer.js';
import { isRawTensor, type RawTensor } from './raw-tensor.js';
import { readSafetensors } from './safetensors.js';

const fixture = (name: string) => fixtureBytes(new URL(`../../fixtures/${name}`, import.meta.url));
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

  it('names the top-level keys when there is no state dict', () => {
    expect(() => extractStateDict(new Map([['epoch', 1]]), 'ckpt.pth')).toThrow(
      /ckpt\.pth holds no state dict .*top-level keys: epoch/,
    );
  });
});

describe('unpickle', () => {
  it('reads protocol 2 containers, ints, floats, strings, booleans and None', () => {
    // pickle.dumps({'a': [1, 2.5, 'x'], 'b': (True, None), 3: -70000}, protocol=2)
    const bytes = Uint8Array.from(
      atob('gAJ9cQAoWAEAAABhcQFdcQIoSwFHQAQAAAAAAABYAQAAAHhxA2VYAQAAAGJxBIhOhnEFSwNKkO7+/3Uu'),
      (c) => c.charCodeAt(0),
    );
    const { value } = unpickle(bytes);
    expect(value).toEqual(
      new Map<unknown, unknown>([
        ['a', [1, 2.5, 'x']],
        ['b', [true, null]],
        [3, -70000],
      ]),
    );
  });

  it('names the byte and opcode it does not understand', () => {
    expect(() => unpickle(Uint8Array.of(0x80, 0x02, 0xff))).toThrow(
      /Invalid pickle at byte 2: unsupported opcode 0xff/,
    );
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
