import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from './checkpoint.js';

// These tests run the built package in a child process (turbo builds it before testing).
const child = new URL('../test/child.mjs', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'alexnet-trainer-process-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function start(
  mode: string,
  dir: string,
): {
  process: ChildProcess;
  output: { stdout: string; stderr: string };
  waitFor(text: string): Promise<void>;
  exit: Promise<{ code: number | null; signal: string | null }>;
} {
  const proc = spawn(process.execPath, [child, mode, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  const waiters: Array<{ text: string; resolve: () => void }> = [];
  proc.stdout?.on('data', (d) => {
    output.stdout += d;
    for (const w of waiters) if (output.stdout.includes(w.text)) w.resolve();
  });
  proc.stderr?.on('data', (d) => {
    output.stderr += d;
  });
  const exit = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    process: proc,
    output,
    exit,
    waitFor: (text) =>
      new Promise<void>((resolve, reject) => {
        if (output.stdout.includes(text)) return resolve();
        waiters.push({ text, resolve });
        exit.then(() => reject(new Error(`child exited before printing "${text}": ${output.stderr}`)));
      }),
  };
}

describe('in a child process', () => {
  it('SIGINT stops training after the current step, names the checkpoint to resume from and exits non-zero', async () => {
    const dir = join(tmp, 'sigint');
    const run = start('train', dir);
    await run.waitFor('epoch 2');
    run.process.kill('SIGINT');
    const { code } = await run.exit;
    expect(code).toBe(130);
    expect(run.output.stderr).toMatch(
      /Training interrupted during epoch \d+ after \d+ batches\. Resume from .*last\.safetensors \(epoch \d+\)/,
    );
    const checkpoint = await readCheckpoint(join(dir, 'last.safetensors'));
    expect(checkpoint.state.epoch).toBeGreaterThanOrEqual(2);
  });

  it('kill -9 while checkpoints are being written never leaves a truncated checkpoint', async () => {
    const dir = join(tmp, 'kill');
    for (let attempt = 0; attempt < 3; attempt++) {
      const run = start('checkpoints', dir);
      await run.waitFor(`saved ${attempt + 2}`);
      await new Promise((resolve) => setTimeout(resolve, 7 + attempt * 13));
      run.process.kill('SIGKILL');
      expect((await run.exit).signal).toBe('SIGKILL');
      const checkpoint = await readCheckpoint(join(dir, 'last.safetensors'));
      expect(checkpoint.weights['0.weight'].shape).toEqual([2048, 2048]);
      expect(checkpoint.state.epoch).toBeGreaterThanOrEqual(attempt + 2);
    }
    // Only temporary files (never the checkpoint's own name) can be left half-written.
    expect(readdirSync(dir).filter((f) => !f.endsWith('.tmp'))).toEqual(['last.safetensors']);
  });
});
