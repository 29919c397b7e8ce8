import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The GPU device nodes a Linux machine has (`/dev/dri/renderD*`, `/dev/nvidia[0-9]*`, WSL's `/dev/dxg`), or null off
 * Linux, where there is no such cheap check. `--backend auto` asks Dawn for an adapter only where one of these
 * exists: on a machine without a GPU, Dawn and the Vulkan loader print warnings to stderr for every driver they reject,
 * noise before a CPU run that could never have used a GPU.
 */
export function linuxGpuDeviceNodes(dev = '/dev', platform: NodeJS.Platform = process.platform): string[] | null {
  if (platform !== 'linux') return null;
  const list = (folder: string) => {
    try {
      return readdirSync(folder);
    } catch {
      return [];
    }
  };
  return [
    ...list(join(dev, 'dri'))
      .filter((name) => name.startsWith('renderD'))
      .map((name) => join(dev, 'dri', name)),
    ...list(dev)
      .filter((name) => /^nvidia\d+$/.test(name) || name === 'dxg')
      .map((name) => join(dev, name)),
  ];
}
