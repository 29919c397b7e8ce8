import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isRawTensor, type RawTensor } from '../raw-tensor.js';
import { readSafetensors } from '../safetensors.js';
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
