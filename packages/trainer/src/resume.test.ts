import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toyModel, toySource } from '../test/toy.js';
import { fit } from './fit.js';
import { SGD } from './sgd.js';

const tmp = mkdtempSync(join(tmpdir(), 'alexnet-trainer-resume-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const trainData = toySource(16, 8, 7);

async function train(dir: string, epochs: number, resume: boolean): Promise<void> {
  const { model, rng } = toyModel(1);
  const optimizer = new SGD(model, { lr: 0.05, momentum: 0.9 });
  try {
    await fit({ model, optimizer, trainData, epochs, checkpointDir: dir, generators: [rng], resume });
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

// What writeAtomically leaves for this run's checkpoint names when killed mid-write, and files that only look alike.
const stale = [
  '.last.safetensors.0123456789ab.tmp',
  '.best.safetensors.ffffffffffff.tmp',
  '.interrupted.safetensors.a1b2c3d4e5f6.tmp',
  '.epoch-12.safetensors.00aa11bb22cc.tmp',
];
const others = [
  'notes.tmp',
  '.last.safetensors.tmp',
  '.last.safetensors.0123456789a.tmp',
  '.last.safetensors.0123456789abc.tmp',
  '.last.safetensors.0123456789AB.tmp',
  '.weights.safetensors.0123456789ab.tmp',
  '.epoch-0.safetensors.0123456789ab.tmp',
  'last.safetensors.0123456789ab.tmp',
  '.last.safetensors.0123456789ab.tmp.keep',
];

function plant(dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const name of [...stale, ...others]) writeFileSync(join(dir, name), name);
}

describe('starting a run', () => {
  it("removes the temporary checkpoint files a killed run left, and nothing else, on a new run's start", async () => {
    const dir = join(tmp, 'new');
    plant(dir);
    await train(dir, 1, false);
    const left = readdirSync(dir);
    for (const name of stale) expect(left).not.toContain(name);
    for (const name of others) expect(readFileSync(join(dir, name), 'utf8')).toBe(name);
    expect(left.sort()).toEqual([...others, 'best.safetensors', 'last.safetensors', 'metrics.jsonl'].sort());
  });

  it('removes them on resume too', async () => {
    const dir = join(tmp, 'resume');
    await train(dir, 1, false);
    plant(dir);
    await train(dir, 2, true);
    const left = readdirSync(dir);
    for (const name of stale) expect(left).not.toContain(name);
    for (const name of others) expect(readFileSync(join(dir, name), 'utf8')).toBe(name);
  });

  it('refuses to resume from a checkpoint whose tensor data was overwritten', async () => {
    const dir = join(tmp, 'damaged');
    await train(dir, 1, false);
    const path = join(dir, 'last.safetensors');
    const bytes = readFileSync(path);
    bytes.fill(0xff, bytes.length - 1000);
    writeFileSync(path, bytes);
    await expect(train(dir, 2, true)).rejects.toThrow(
      `${path} is damaged: its tensor data does not match the checksum written with it`,
    );
  });
});
