import { defineConfig } from 'tsup';

export default defineConfig({
  // The worker is its own entry: the loader starts it by file URL in worker threads.
  entry: { index: 'src/index.ts', worker: 'src/worker.ts' },
  format: ['esm', 'cjs'],
  shims: true,
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
  target: 'es2022',
});
