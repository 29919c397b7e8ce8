import { readFile as read } from 'node:fs/promises';
import { writeAtomically } from '@alexnet/torch-io/node';
import type { Environment, FileAccess } from './types.js';

export { weightsCache } from './node-weights-cache.js';

export const files: FileAccess = {
  async readFile(path) {
    const buffer = await read(path);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  },
  writeFile: writeAtomically,
};

/** Empty variables count as unset, as shells and CI systems often export them empty. */
export const environment: Environment = (name) => process.env[name] || undefined;
