import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webGpuStatus } from '@alexnet/tfjs-backend-webgpu';
import { afterAll, describe, expect, it } from 'vitest';

// The built command in a child process, on whatever WebGPU adapter this machine offers (CI: SwiftShader, through
// VK_ICD_FILENAMES as .ci/run sets it). Training on SwiftShader is far too slow for a test here (a full-width
// AlexNet step at 64 px takes minutes on 2 cores), so these tests cover the choice of backend and adapter.
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
