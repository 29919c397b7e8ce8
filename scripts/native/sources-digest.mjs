// The digest of the addon's sources (every .c, .h, .inc and .gyp file in native/, by name and content), which
// `build-addon.mjs --prebuild` records beside the prebuilt binary and a test compares with the sources in the tree.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** @param {string} nativeDir the package's native/ folder */
export function sourcesDigest(nativeDir) {
  const hash = createHash('sha256');
  for (const file of readdirSync(nativeDir)
    .filter((f) => /\.(c|h|inc|gyp)$/.test(f))
    .sort()) {
    hash.update(file);
    hash.update(readFileSync(join(nativeDir, file)));
  }
  return hash.digest('hex');
}
