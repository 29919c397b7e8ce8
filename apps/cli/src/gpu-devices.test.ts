import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { linuxGpuDeviceNodes } from './gpu-devices.js';

const dev = mkdtempSync(join(tmpdir(), 'alexnet-dev-'));
afterAll(() => rmSync(dev, { recursive: true, force: true }));

describe('linuxGpuDeviceNodes', () => {
  it('finds render nodes, NVIDIA devices and WSL’s dxg, and nothing else', () => {
    expect(linuxGpuDeviceNodes(dev, 'linux')).toEqual([]);
    mkdirSync(join(dev, 'dri'));
    for (const name of ['dri/card0', 'dri/renderD128', 'nvidia0', 'nvidiactl', 'nvidia-uvm', 'dxg', 'null'])
      writeFileSync(join(dev, name), '');
    expect(linuxGpuDeviceNodes(dev, 'linux')?.sort()).toEqual(
      [join(dev, 'dri/renderD128'), join(dev, 'dxg'), join(dev, 'nvidia0')].sort(),
    );
  });

  it('makes no claim off Linux', () => {
    expect(linuxGpuDeviceNodes(dev, 'darwin')).toBeNull();
    expect(linuxGpuDeviceNodes(dev, 'win32')).toBeNull();
  });
});
