// The addon for this package's benchmarks, loaded from the build (`pnpm build` first); exits with the reason where it
// cannot load.
import { loadAddon } from '../dist/index.js';

const load = loadAddon();
if (!load.addon) {
  console.error(load.reason);
  process.exit(1);
}

export const { addon } = load;
