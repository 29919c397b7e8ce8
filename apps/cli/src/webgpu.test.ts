import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectClose } from '@alexnet/test-utils';
import { webGpuStatus } from '@alexnet/tfjs-backend-webgpu';
import { readSafetensors } from '@alexnet/torch-io';
import { afterAll, describe, expect, it } from 'vitest';

// The built command in a child process, on whatever WebGPU adapter this machine offers (CI: SwiftShader, through
// VK_ICD_FILENAMES as .ci/run sets it). A full-width AlexNet step at 64 px takes minutes on SwiftShader on 2 cores:
// training here is V2 at an eighth of its width (--width 0.125).
const bin = new URL('../dist/bin.js', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'alexnet-cli-webgpu-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const status = await webGpuStatus();
if (!status.available) console.warn(`@alexnet/cli: WebGPU tests skipped: ${status.reason}`);
const software = status.available && status.software;

function alexnet(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: tmp, maxBuffer: 1 << 26 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('--backend webgpu and --adapter', () => {
  it('--adapter needs --backend webgpu or auto', async () => {
    const result = await alexnet('bench', '--backend', 'wasm', '--adapter', '0');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /(^|\n)alexnet: --adapter chooses a WebGPU adapter: it needs --backend webgpu or auto, not wasm\n$/,
    );
  });

  it.skipIf(!status.available)('an adapter that is not there is one line naming the ones that are', async () => {
    const result = await alexnet('bench', '--backend', 'webgpu', '--adapter', 'no-such-gpu');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(
      /(^|\n)alexnet: --backend webgpu is not available here: no adapter "no-such-gpu" among the \d+: 0: .+\n$/,
    );
  });

  it.skipIf(!software)('auto never takes a software adapter (SwiftShader is present here)', async () => {
    const tinyBench = ['bench', '--model', 'alexnet_v2', '--image-size', '64', '--adaptive-pool'];
    const result = await alexnet(...tinyBench, '--steps', '1', '--batch-size', '2', '--json');
    expect(result.code, result.stderr).toBe(0);
    const line = JSON.parse(result.stdout.trim().split('\n').pop() as string);
    expect(line.backend).not.toBe('webgpu');
    expect(line.device).not.toMatch(/swiftshader/i);
    expect(result.stderr).not.toMatch(/CPU emulation/);
  });
});

describe.skipIf(!status.available)('alexnet train --backend webgpu', () => {
  it("takes the native backend's steps (losses and weights) and learns", async () => {
    const data = join(tmp, 'data');
    const synth = ['data', 'synth', '--out', data, '--classes', '2', '--train-per-class', '8', '--val-per-class', '2'];
    expect((await alexnet(...synth)).code).toBe(0);
    const small = ['--model', 'alexnet_v2', '--image-size', '64', '--adaptive-pool', '--width', '0.125'];
    // Settings under which this seeded run's loss falls in two epochs (dropout off: 16 images).
    const recipe = ['--init', 'kaiming', '--dropout', '0', '--lr', '0.003', '--batch-size', '4', '--epochs', '2'];
    const runs: Record<string, { losses: number[]; weights: Record<string, Float32Array> }> = {};
    for (const backend of ['native', 'webgpu']) {
      const out = join(tmp, backend);
      const args = ['train', '--data', data, ...small, ...recipe, '--workers', '1', '--no-validate-first'];
      const result = await alexnet(...args, '--backend', backend, '--out', out);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toMatch(new RegExp(`(^|\\n)Backend: ${backend}`));
      const epochs = readFileSync(join(out, 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line))
        .filter((line) => line.type === 'epoch');
      const losses = epochs.flatMap((e: { train: { loss: number }; val: { loss: number } }) => [
        e.train.loss,
        e.val.loss,
      ]);
      const file = readSafetensors(new Uint8Array(readFileSync(join(out, 'last.safetensors'))));
      const weights = Object.fromEntries(
        Object.entries(file.tensors)
          .filter(([name]) => name.startsWith('model.'))
          .map(([name, t]) => [name, t.data as Float32Array]),
      );
      runs[backend] = { losses, weights };
    }
    const { native, webgpu } = runs;
    expectClose(webgpu.losses, native.losses, 1e-3, 'train and val losses of both epochs');
    expect(Object.keys(webgpu.weights).length).toBe(16);
    for (const [name, values] of Object.entries(native.weights)) expectClose(webgpu.weights[name], values, 1e-3, name);
    // Epoch 2's training loss below epoch 1's: [train 1, val 1, train 2, val 2].
    expect(webgpu.losses[2]).toBeLessThan(webgpu.losses[0] - 0.1);
  });
});
