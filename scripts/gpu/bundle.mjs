#!/usr/bin/env node
// The CLI as a few files for a machine with no Node.js packages (scripts/gpu/pack.sh calls this):
//
//   node scripts/gpu/bundle.mjs <out-dir>
//
// <out-dir>/bin.js        the `alexnet` command (apps/cli/dist/bin.js with every JS dependency inlined by esbuild)
// <out-dir>/probe.js      scripts/gpu/probe.mjs: the adapter check
// <out-dir>/imagenet-data/dist/worker.js, <pkg>/native/prebuilds/...: what the bundled packages find beside
//                         themselves (the loader's worker script, the .node prebuilds found by node-gyp-build)
// <out-dir>/node_modules/ what cannot be inlined: `webgpu` (dawn.node for linux-x64 only; imported by a computed
//                         name) and sharp with its libvips (native, it finds its own binary at run time)
// <out-dir>/bench/        scripts/bench/gpu.mjs and pytorch_alexnet.py, so that the pack runs the scripts it was made with
//
// The bundled packages that locate files beside themselves (`new URL('./worker.js', import.meta.url)`,
// `dirname(import.meta.url)/../native`) get their own `import.meta.url` back, rewritten to where their dist/ would
// sit in <out-dir>, so that two packages' `../native` folders stay apart (node-gyp-build takes the first prebuild
// of a folder whose tags fit, whatever its name).
import { cpSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = resolve(process.argv[2] ?? '');
if (!process.argv[2]) {
  console.error('usage: node scripts/gpu/bundle.mjs <out-dir>');
  process.exit(2);
}
/** Workspace packages whose code finds files relative to its own module: their folder name under packages/. */
const LOCATING = ['imagenet-data', 'backend-native'];

/** Rewrites `import.meta.url` in those packages' dist files to their place under <out-dir>, seen from `outfile`. */
function packageUrls(outfile) {
  return {
    name: 'package-urls',
    setup(b) {
      b.onLoad({ filter: /[\\/]packages[\\/](imagenet-data|backend-native)[\\/]dist[\\/].*\.js$/ }, (args) => {
        const pkg = LOCATING.find((p) => args.path.includes(`/packages/${p}/dist/`));
        const target = join(out, pkg, 'dist', 'index.js');
        let rel = relative(dirname(outfile), target);
        if (!rel.startsWith('.')) rel = `./${rel}`;
        const contents = readFileSync(args.path, 'utf8').replaceAll(
          'import.meta.url',
          `new URL(${JSON.stringify(rel)}, import.meta.url).href`,
        );
        return { contents, loader: 'js', resolveDir: dirname(args.path) };
      });
    },
  };
}

async function bundle(entry, outfile) {
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minifyWhitespace: true,
    minifySyntax: true,
    // The workspace's packages resolve from the CLI's node_modules (the probe lives outside any package).
    nodePaths: [join(root, 'apps', 'cli', 'node_modules')],
    // Native or located at run time: copied beside the bundle instead. The tfjs-node builds are optional peers.
    external: ['webgpu', 'sharp', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'],
    // CommonJS code inside an ES module bundle needs a real `require` for Node's built-ins.
    banner: {
      js: "import { createRequire as __alexnetRequire } from 'node:module';\nconst require = __alexnetRequire(import.meta.url);",
    },
    plugins: [packageUrls(outfile)],
    logLevel: 'warning',
    logOverride: { 'unsupported-dynamic-import': 'silent', 'empty-import-meta': 'silent' },
    metafile: true,
  });
  return result.metafile;
}

/** The folder of package `name` as Node.js finds it from folder `from` (node_modules up the tree), links followed. */
function packageDir(name, from) {
  for (let dir = realpathSync(from); ; dir = dirname(dir)) {
    const candidate = basename(dir) === 'node_modules' ? join(dir, name) : join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dir === dirname(dir)) throw new Error(`bundle: package ${name} not found from ${from}`);
  }
}

/** Copies a package's folder (symlinks followed) into <out-dir>/node_modules/<name>, leaving out `skip`. */
function copyPackage(name, from, skip = []) {
  const dir = packageDir(name, from);
  const to = join(out, 'node_modules', name);
  cpSync(dir, to, {
    recursive: true,
    dereference: true,
    filter: (src) => {
      const rel = relative(dir, src);
      return !rel.startsWith('node_modules') && !skip.some((s) => rel === s || rel.startsWith(`${s}/`));
    },
  });
  return dir;
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const cli = join(root, 'apps', 'cli');
await bundle(join(cli, 'dist', 'bin.js'), join(out, 'bin.js'));
await bundle(
  join(root, 'packages', 'imagenet-data', 'dist', 'worker.js'),
  join(out, 'imagenet-data', 'dist', 'worker.js'),
);
await bundle(join(root, 'scripts', 'gpu', 'probe.mjs'), join(out, 'probe.js'));
for (const pkg of LOCATING) {
  cpSync(
    join(root, 'packages', pkg, 'native', 'prebuilds', 'linux-x64'),
    join(out, pkg, 'native', 'prebuilds', 'linux-x64'),
    {
      recursive: true,
    },
  );
}
const webgpuFrom = join(root, 'packages', 'backend-webgpu');
const platforms = ['darwin-universal', 'linux-arm64', 'win32-arm64', 'win32-x64'].map((p) => `dist/${p}`);
copyPackage('webgpu', webgpuFrom, ['build', 'README.md', ...platforms]);
const sharp = copyPackage('sharp', join(root, 'packages', 'imagenet-data'), ['src', 'README.md']);
for (const dep of ['@img/sharp-linux-x64', '@img/sharp-libvips-linux-x64', '@img/colour', 'detect-libc', 'semver']) {
  copyPackage(dep, sharp, ['README.md']);
}
mkdirSync(join(out, 'bench'), { recursive: true });
for (const file of ['gpu.mjs', 'pytorch_alexnet.py'])
  cpSync(join(root, 'scripts', 'bench', file), join(out, 'bench', file));
writeFileSync(join(out, 'package.json'), `${JSON.stringify({ private: true, type: 'module' }, null, 2)}\n`);
console.log(`bundled into ${out}`);
