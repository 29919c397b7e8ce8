import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Linear, RandomGenerator, Sequential } from '@alexnet/layers';
import { readSafetensors, TENSOR_DATA_CHECKSUM_KEY, writePyTorch, writeSafetensors } from '@alexnet/torch-io';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { readCheckpoint, restoreCheckpoint, saveCheckpoint } from './checkpoint.js';
import { SGD } from './sgd.js';

const tmp = mkdtempSync(join(tmpdir(), 'alexnet-trainer-checkpoint-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const state = { epoch: 3, step: 12, best: null, scheduler: null, rng: [], config: { purpose: 'test' } };

/** A checkpoint of a 32x32 linear layer with momentum buffers (8,448 data bytes) saved at `path`. */
async function savedCheckpoint(path: string): Promise<void> {
  const model = new Sequential([new Linear({ inFeatures: 32, outFeatures: 32, rng: new RandomGenerator(5) })]);
  const optimizer = new SGD(model, { lr: 0.1, momentum: 0.9 });
  // One step, so the momentum buffers exist.
  const grads = Object.fromEntries(model.namedParameters().map(([name, v]) => [name, tf.onesLike(v)]));
  optimizer.step(grads);
  tf.dispose(Object.values(grads));
  await saveCheckpoint(path, model, optimizer, state);
  optimizer.dispose();
  model.dispose();
}

/** Where a safetensors file's data section starts: after the 8-byte header length and the header. */
function dataStart(bytes: Uint8Array): number {
  return 8 + Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
}

describe('checkpoint checksum', () => {
  it('is the SHA-256 of the file data section, and a checkpoint round-trips with it', async () => {
    const path = join(tmp, 'whole.safetensors');
    await savedCheckpoint(path);
    const bytes = new Uint8Array(readFileSync(path));
    const expected = createHash('sha256')
      .update(bytes.subarray(dataStart(bytes)))
      .digest('hex');
    const checkpoint = await readCheckpoint(path);
    expect(checkpoint.metadata[TENSOR_DATA_CHECKSUM_KEY]).toBe(expected);
    expect(checkpoint.state).toMatchObject(state);
    expect(checkpoint.weights['0.weight'].shape).toEqual([32, 32]);
    expect(Object.keys(checkpoint.buffers)).toEqual(['0.weight', '0.bias']);
  });

  it('names a PyTorch file given as a checkpoint as one (zip or legacy), not as a bad safetensors header', async () => {
    const zip = join(tmp, 'weights.pth');
    writeFileSync(zip, writePyTorch({ w: { dtype: 'float32', shape: [1], data: Float32Array.of(1) } }));
    const legacy = join(tmp, 'legacy.pth');
    writeFileSync(legacy, Uint8Array.of(0x80, 2, 0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19));
    for (const path of [zip, legacy]) {
      await expect(readCheckpoint(path)).rejects.toThrow(
        `${path} is a PyTorch file, not a training checkpoint (the .safetensors of saveCheckpoint and alexnet train); to start from its weights, use alexnet train --weights`,
      );
    }
  });

  it('refuses a checkpoint with 1,000 bytes of its tensor data overwritten, naming the file', async () => {
    const path = join(tmp, 'damaged.safetensors');
    await savedCheckpoint(path);
    const bytes = new Uint8Array(readFileSync(path));
    bytes.fill(0x7f, dataStart(bytes) + 2000, dataStart(bytes) + 3000);
    writeFileSync(path, bytes);
    // Still a valid safetensors file: only the checksum can tell.
    expect(() => readSafetensors(bytes, path)).not.toThrow();
    await expect(readCheckpoint(path)).rejects.toThrow(
      `${path} is damaged: its tensor data does not match the checksum written with it`,
    );
  });

  it('loads an older checkpoint written without a checksum', async () => {
    const path = join(tmp, 'old.safetensors');
    await savedCheckpoint(path);
    const { tensors, metadata } = readSafetensors(new Uint8Array(readFileSync(path)), path);
    const { [TENSOR_DATA_CHECKSUM_KEY]: _checksum, ...older } = metadata;
    writeFileSync(path, writeSafetensors(tensors, older));
    const checkpoint = await readCheckpoint(path);
    expect(checkpoint.metadata[TENSOR_DATA_CHECKSUM_KEY]).toBeUndefined();
    expect(checkpoint.state.epoch).toBe(3);
    const model = new Sequential([new Linear({ inFeatures: 32, outFeatures: 32, rng: new RandomGenerator(9) })]);
    const optimizer = new SGD(model, { lr: 0.1, momentum: 0.9 });
    restoreCheckpoint(checkpoint, model, optimizer);
    const restored = model.stateDict();
    expect(Array.from(restored['0.weight'].dataSync())).toEqual(Array.from(tensors['model.0.weight'].data));
    tf.dispose(Object.values(restored));
    optimizer.dispose();
    model.dispose();
  });
});

describe('checkpoint metadata', () => {
  it('names the file and the key when the state is not valid JSON', async () => {
    const path = join(tmp, 'bad-json.safetensors');
    await savedCheckpoint(path);
    const { tensors, metadata } = readSafetensors(new Uint8Array(readFileSync(path)), path);
    writeFileSync(path, writeSafetensors(tensors, { ...metadata, checkpoint: '{"epoch": 3, "config": {"name": "x' }));
    await expect(readCheckpoint(path)).rejects.toThrow(
      new RegExp(
        `^${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} has invalid JSON in its "checkpoint" metadata: .*Unterminated string`,
      ),
    );
    writeFileSync(path, writeSafetensors(tensors, { ...metadata, checkpoint: '[3]' }));
    await expect(readCheckpoint(path)).rejects.toThrow(
      `${path} has a "checkpoint" metadata entry that is not a JSON object`,
    );
  });
});
