import type { Plugin } from 'vite';

/** Vite's id for the stub it puts in place of a Node.js built-in (`__vite-browser-external:node:fs`). */
const STUB = '__vite-browser-external:';

/**
 * Makes the build fail when the page would need Node.js. Vite's resolver replaces a Node.js built-in that a
 * module imports (`node:fs`, `crypto`, ...) with a stub that throws when used, and only warns; this refuses any
 * such stub, naming the modules that import it, and chunks that import anything outside the bundle. A package's
 * own `browser` field mapping a built-in to `false` (seedrandom's `crypto`, which it then does without) is that
 * package's browser build, not a stub, and passes.
 */
export function noNodeBuiltins(): Plugin {
  return {
    name: 'alexnet:no-node-builtins',
    apply: 'build',
    buildEnd(error) {
      if (error) return;
      const stubbed = [...this.getModuleIds()].filter((id) => id.startsWith(STUB));
      if (stubbed.length === 0) return;
      const lines = stubbed.map((id) => {
        const importers = this.getModuleInfo(id)?.importers ?? [];
        return `'${id.slice(STUB.length)}' imported by ${importers.join(', ') || 'an entry'}`;
      });
      this.error(`Node.js built-ins would end up in the browser bundle: ${lines.join('; ')}`);
    },
    generateBundle(_, bundle) {
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== 'chunk') continue;
        const outside = [...chunk.imports, ...chunk.dynamicImports].filter((name) => !(name in bundle));
        if (outside.length > 0)
          this.error(`${chunk.fileName} imports modules outside the bundle: ${outside.join(', ')}`);
      }
    },
  };
}
