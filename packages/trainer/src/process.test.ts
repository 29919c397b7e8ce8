import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Checkpoint, readCheckpoint } from './checkpoint.js';

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

  it('kill -9 at seeded pseudo-random points, then resume: the final weights are bit-identical to an uninterrupted run', async () => {
    // An xorshift32 generator with a fixed seed picks where to kill: after which step, and how many ms later.
    let seed = 14;
    const next = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const straightDir = join(tmp, 'straight');
    const straight = start('resume', straightDir);
    const dir = join(tmp, 'killed');
    let killedWhileWriting = 0;
    let target = 0;
    for (let kill = 0; kill < 4; kill++) {
      // Even kills come while the checkpoint after an epoch's last step (2 steps an epoch) is being written, odd
      // ones after a step. 7 epochs: 14 steps.
      const writing = kill % 2 === 0;
      target += writing ? 2 - (target % 2) + 2 * next(2) : 1 + next(2);
      const run = start('resume', dir);
      await run.waitFor(`${writing ? 'saving' : 'step'} ${target}\n`);
      await new Promise((resolve) => setTimeout(resolve, next(writing ? 3 : 10)));
      run.process.kill('SIGKILL');
      expect((await run.exit).signal).toBe('SIGKILL');
      if (readdirSync(dir).some((f) => f.endsWith('.tmp'))) killedWhileWriting++;
      if (!existsSync(join(dir, 'last.safetensors'))) continue; // killed before the first epoch's checkpoint
      const checkpoint = await readCheckpoint(join(dir, 'last.safetensors')); // whole, and its checksum holds
      expect(checkpoint.state.step).toBeLessThanOrEqual(target);
      expect(checkpoint.state.step % 2).toBe(0);
    }
    expect(killedWhileWriting).toBe(2); // the child's writes take 100 ms, the kills come at most 2 ms into one
    const resumed = start('resume', dir);
    expect((await resumed.exit).code).toBe(0);
    expect((await straight.exit).code).toBe(0);
    expect(resumed.output.stdout).toContain('done');
    // The resumed run removed the temporary files the killed writes left.
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const expected = await readCheckpoint(join(straightDir, 'last.safetensors'));
    const actual = await readCheckpoint(join(dir, 'last.safetensors'));
    expect(actual.state.epoch).toBe(7);
    expect(actual.state.step).toBe(expected.state.step);
    expect(actual.state.rng).toEqual(expected.state.rng);
    const bytes = (c: Checkpoint) =>
      Object.entries({ ...c.weights, ...c.buffers }).map(
        ([name, t]) => [name, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)] as const,
      );
    const want = bytes(expected);
    const got = bytes(actual);
    expect(got.map(([name]) => name)).toEqual(want.map(([name]) => name));
    for (const [i, [name, data]] of got.entries()) expect(data.equals(want[i][1]), name).toBe(true);
    const losses = (c: Checkpoint) =>
      (c.state as unknown as { history: Array<{ train: { loss: number } }> }).history.map((r) => r.train.loss);
    expect(losses(actual)).toEqual(losses(expected));
  }, 60_000);
});
