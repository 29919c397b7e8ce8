import { defineConfig } from 'vite';
import { noNodeBuiltins } from './no-node-builtins.js';

export default defineConfig({
  // Relative URLs: the docs site serves the pages under /demo/.
  base: './',
  plugins: [noNodeBuiltins()],
  build: {
    target: 'es2022',
    // TF.js and its three backends are about 2 MB minified; nothing to split for a demo page.
    chunkSizeWarningLimit: 4096,
    rolldownOptions: { input: { index: 'index.html', parity: 'parity.html' } },
  },
});
