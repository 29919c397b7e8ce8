import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RawTensors, TENSOR_DATA_CHECKSUM_KEY, writeSafetensors } from '@alexnet/torch-io';
import { afterAll, describe, expect, it } from 'vitest';
import { modelFromWeights, nonFiniteTensors, readWeights } from './index.js';

const tmp = mkdtempSync(join(tmpdir(), 'alexnet-weights-checks-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const tensor = (...values: number[]) => ({
  dtype: 'float32' as const,
  shape: [values.length],
  data: Float32Array.from(values),
});

/** A file laid out as a trainer checkpoint, with the checksum of its data section as the trainer writes it. */
function checkpointBytes(tensors: RawTensors): Uint8Array {
  const unsigned = writeSafetensors(tensors, { checkpoint: '{"epoch":1}' });
  const headerLength = Number(new DataView(unsigned.buffer).getBigUint64(0, true));
  const checksum = createHash('sha256')
    .update(unsigned.subarray(8 + headerLength))
    .digest('hex');
  return writeSafetensors(tensors, { checkpoint: '{"epoch":1}', [TENSOR_DATA_CHECKSUM_KEY]: checksum });
}

describe('readWeights of a training checkpoint', () => {
  it('verifies the checksum of its tensor data, naming the file when it does not match', async () => {
    const bytes = checkpointBytes({ 'model.a': tensor(1, 2, 3), 'optimizer.a.momentum_buffer': tensor(0, 0, 0) });
    const path = join(tmp, 'last.safetensors');
    writeFileSync(path, bytes);
    const file = await readWeights(path);
    expect(Array.from(file.tensors.a.data)).toEqual([1, 2, 3]);
    // The checksum describes this file's bytes only: it is not metadata to carry into another file.
    expect(file.metadata.extra).toEqual({});

    // One byte of the last tensor changed, as a disk or a copy might.
    bytes[bytes.length - 2] ^= 0x40;
    writeFileSync(path, bytes);
    await expect(readWeights(path)).rejects.toThrow(
      new RegExp(`^${path} is damaged: its tensor data does not match the checksum written with it`),
    );
  });

  it('loads checkpoints written before checksums, and weight files, unchecked', async () => {
    const old = writeSafetensors({ 'model.a': tensor(1) }, { checkpoint: '{"epoch":1}' });
    expect((await readWeights(old)).tensors.a.data[0]).toBe(1);
    expect((await readWeights(writeSafetensors({ a: tensor(2) }))).tensors.a.data[0]).toBe(2);
  });
});

describe('nonFiniteTensors', () => {
  it('names the tensors holding NaN or infinities, with their counts, in file order', async () => {
    const file = await readWeights(
      writeSafetensors({
        fine: tensor(1, -2, 3.4e38),
        b: tensor(Number.NaN, 0, Number.NaN, Number.NEGATIVE_INFINITY),
        a: tensor(Number.POSITIVE_INFINITY),
        ids: { dtype: 'int32', shape: [1], data: Int32Array.of(7) },
      }),
    );
    expect(nonFiniteTensors(file)).toEqual([
      { name: 'b', nan: 2, infinite: 1 },
      { name: 'a', nan: 0, infinite: 1 },
    ]);
  });
});

describe('readWeights of a damaged .safetensors file', () => {
  it('names what is wrong with its header, not only its first bytes', async () => {
    const good = writeSafetensors({ w: tensor(1, 2) });
    const cases: Array<[string, (bytes: Uint8Array) => void, RegExp]> = [
      [
        'past.safetensors',
        (b) => new DataView(b.buffer).setBigUint64(0, 1_000_000n, true),
        /header length 1000000 exceeds the file size/,
      ],
      ['zero.safetensors', (b) => new DataView(b.buffer).setBigUint64(0, 0n, true), /header is not JSON/],
      [
        'array.safetensors',
        (b) => b.set(new TextEncoder().encode('['), 8),
        /header is not JSON|header is not a JSON object/,
      ],
    ];
    for (const [name, damage, message] of cases) {
      const bytes = good.slice();
      damage(bytes);
      const path = join(tmp, name);
      writeFileSync(path, bytes);
      await expect(readWeights(path), name).rejects.toThrow(
        new RegExp(
          `^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not a valid safetensors file: ${message.source}`,
        ),
      );
    }
    // Named otherwise, unknown bytes are still described by their first bytes.
    const path = join(tmp, 'past.bin');
    const bytes = good.slice();
    new DataView(bytes.buffer).setBigUint64(0, 1_000_000n, true);
    writeFileSync(path, bytes);
    await expect(readWeights(path)).rejects.toThrow(/past\.bin is not a weight file this package reads/);
  });
});

describe('readWeights and modelFromWeights of odd metadata', () => {
  it('check the JSON shape of each entry and name the file when the model cannot be built from it', async () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [
        { class_names: '"abc"' },
        /names\.safetensors: metadata entry "class_names" must be a JSON list of strings, got "abc"$/,
      ],
      [{ class_ids: '[1,2]' }, /metadata entry "class_ids" must be a JSON list of strings, got \[1,2\]$/],
      [{ options: '[1]' }, /metadata entry "options" must be a JSON object, got \[1\]$/],
      [{ preprocessing: 'null' }, /metadata entry "preprocessing" must be a JSON object, got null$/],
    ];
    const path = join(tmp, 'names.safetensors');
    for (const [metadata, message] of cases) {
      writeFileSync(path, writeSafetensors({ w: tensor(1) }, { model: 'alexnet_v2', ...metadata }));
      await expect(readWeights(path), JSON.stringify(metadata)).rejects.toThrow(message);
    }
    const file = { format: 'safetensors' as const, tensors: {}, metadata: { extra: {} } };
    expect(() =>
      modelFromWeights({ ...file, metadata: { model: '__proto__', extra: {} } }, {}, 'proto.safetensors'),
    ).toThrow(/^proto\.safetensors: cannot build __proto__ from it: Unknown model "__proto__"/);
    const options = { numClasses: -1 };
    expect(() =>
      modelFromWeights({ ...file, metadata: { model: 'alexnet_v2', options, extra: {} } }, {}, 'n.safetensors'),
    ).toThrow(/^n\.safetensors: cannot build alexnet_v2 from it: numClasses must be a positive integer, got -1/);
  });
});
