/** Dawn's Node.js bindings hold native handles: a script that used the GPU must still end by itself. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { NO_GPU } from '../test/gpu.js';

const script = fileURLToPath(new URL('../test/exit.mjs', import.meta.url));
const built = new URL('../dist/index.js', import.meta.url);

describe.skipIf(NO_GPU)('a script on webgpu exits by itself', () => {
  it.each(['dispose', 'no-dispose'])('%s', (mode) => {
    expect(existsSync(built), 'the built package (pnpm build) is what the script imports').toBe(true);
    const child = spawnSync(process.execPath, [script, mode], { encoding: 'utf8', timeout: 60_000 });
    expect(child.signal, `killed after 60 s: the event loop was kept alive\n${child.stderr}`).toBeNull();
    expect(child.status, child.stderr).toBe(0);
    expect(child.stdout).toMatch(/^done on /);
  });
});
