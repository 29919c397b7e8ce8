import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { bin: 'src/bin.ts' },
  format: ['esm'],
  sourcemap: true,
  clean: true,
  target: 'es2022',
  banner: { js: '#!/usr/bin/env node' },
  // Optional GPU / native backends are loaded at run time only when asked for.
  external: ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'],
});
