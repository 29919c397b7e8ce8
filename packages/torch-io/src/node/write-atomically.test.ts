import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { linkAtomically, writeAtomically } from './write-atomically.js';

const dir = mkdtempSync(join(tmpdir(), 'torch-io-atomic-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writeAtomically', () => {
  it('creates the folder, replaces the file whole and leaves no temporary file', async () => {
    const path = join(dir, 'a', 'b', 'w.bin');
    await writeAtomically(path, Uint8Array.of(1, 2, 3));
    expect([...readFileSync(path)]).toEqual([1, 2, 3]);
    await writeAtomically(path, 'text');
    expect(readFileSync(path, 'utf8')).toBe('text');
    expect(readdirSync(join(dir, 'a', 'b'))).toEqual(['w.bin']);
  });

  it('keeps the old file and removes the temporary one when the rename fails', async () => {
    const target = join(dir, 'occupied');
    await writeAtomically(join(target, 'inside'), 'x'); // a non-empty folder cannot be renamed over
    await expect(writeAtomically(target, 'y')).rejects.toThrow();
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    expect(readFileSync(join(target, 'inside'), 'utf8')).toBe('x');
  });
});

describe('linkAtomically', () => {
  it('gives a file a second name that keeps its content when the first is replaced', async () => {
    const first = join(dir, 'last.safetensors');
    const second = join(dir, 'best.safetensors');
    writeFileSync(first, 'epoch 1');
    await linkAtomically(first, second, 'epoch 1');
    expect(statSync(second).ino).toBe(statSync(first).ino);
    await writeAtomically(first, 'epoch 2');
    expect(readFileSync(second, 'utf8')).toBe('epoch 1');
  });

  it('writes the data instead where the link cannot be made', async () => {
    const path = join(dir, 'copy.bin');
    await linkAtomically(join(dir, 'missing'), path, 'fallback');
    expect(readFileSync(path, 'utf8')).toBe('fallback');
  });
});
