#!/usr/bin/env node
// Builds the addon from source with node-gyp (native/build/Release/alexnet_native.node), then, with --prebuild, copies it to
// prebuilds/<platform>-<arch>/ where the package looks when no source build exists.
//
// node-gyp downloads Node's headers unless told where they are; an official Node install ships them beside the
// binary (include/node), so they are used from there when present and nothing is downloaded.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sourcesDigest } from './sources-digest.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
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
const nodeGyp = findNodeGyp();
const args = [nodeGyp, 'rebuild', '--directory=native'];
if (existsSync(join(nodeDir, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${nodeDir}`);
execFileSync(process.execPath, args, { cwd: root, stdio: 'inherit' });

if (process.argv.includes('--prebuild')) {
  const target = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  mkdirSync(target, { recursive: true });
  copyFileSync(join(root, 'native', 'build', 'Release', 'alexnet_native.node'), join(target, 'alexnet_native.node'));
  // What it was built from, so a test can tell when the sources have moved on without a new prebuild.
  writeFileSync(join(target, 'SOURCES.sha256'), `${sourcesDigest(join(root, 'native'))}\n`);
  console.log(`prebuilt: ${join(target, 'alexnet_native.node')}`);
}
