import { defineConfig } from 'tsup';

export default defineConfig({
  // The main entry has no Node built-ins (it runs in browsers); file-system helpers are the `./node` subpath.
  entry: { index: 'src/index.ts', 'node/index': 'src/node/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
});
