#!/usr/bin/env node
// Builds a package's C addon from source with node-gyp (native/build/Release/<target>.node), then, with --prebuild,
// copies it to native/prebuilds/<platform>-<arch>/<target>.napi[.glibc|.musl].node, where the package's loader
// (node-gyp-build) looks when no source build exists: the tags say it is a Node-API build (one binary for every
// Node version) and, on Linux, which C library it links. Run from the package's folder:
//   node ../../scripts/native/build-addon.mjs <target> [--prebuild]
//
// node-gyp downloads Node's headers unless told where they are; an official Node install ships them beside the
// binary (include/node), so they are used from there when present and nothing is downloaded.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { sourcesDigest } from './sources-digest.mjs';

const target = process.argv[2];
if (!target || target.startsWith('-')) {
  console.error('usage: node build-addon.mjs <target> [--prebuild]   (from the package folder)');
  process.exit(2);
}
const root = process.cwd();
const nodeDir = dirname(dirname(process.execPath));

// node-gyp as installed in the project or globally, else the copy every npm carries.
function findNodeGyp() {
  try {
    return createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    const bundled = join(nodeDir, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
    if (existsSync(bundled)) return bundled;
    throw new Error('node-gyp not found: install it (npm install -g node-gyp) or build with npm, which bundles it');
  }
}
const args = [findNodeGyp(), 'rebuild', '--directory=native'];
if (existsSync(join(nodeDir, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${nodeDir}`);
execFileSync(process.execPath, args, { cwd: root, stdio: 'inherit' });

if (process.argv.includes('--prebuild')) {
  const prebuilds = join(root, 'native', 'prebuilds', `${process.platform}-${process.arch}`);
  mkdirSync(prebuilds, { recursive: true });
  // node-gyp-build's file-name tags, which it matches at load time; the C library only matters on Linux.
  const libc =
    process.platform !== 'linux' ? [] : process.report.getReport().header.glibcVersionRuntime ? ['glibc'] : ['musl'];
  const file = [target, 'napi', ...libc, 'node'].join('.');
  // One binary a folder: an older one under another name could otherwise be the one loaded.
  for (const old of readdirSync(prebuilds).filter((f) => f.endsWith('.node'))) rmSync(join(prebuilds, old));
  copyFileSync(join(root, 'native', 'build', 'Release', `${target}.node`), join(prebuilds, file));
  // What it was built from, so a test can tell when the sources have moved on without a new prebuild.
  writeFileSync(join(prebuilds, 'SOURCES.sha256'), `${sourcesDigest(join(root, 'native'))}\n`);
  console.log(`prebuilt: ${join(prebuilds, file)}`);
}
