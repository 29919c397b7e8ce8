import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    // File access differs by platform; package.json "imports" picks one of these for '#platform'.
    'platform/node': 'src/platform/node.ts',
    'platform/browser': 'src/platform/browser.ts',
  },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts' } },
  external: ['#platform'],
  sourcemap: true,
  clean: true,
  target: 'es2022',
});
