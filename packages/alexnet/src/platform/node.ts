import { readFile as read } from 'node:fs/promises';
import { writeAtomically } from '@alexnet/torch-io/node';
import type { FileAccess } from './types.js';

export const files: FileAccess = {
  async readFile(path) {
    const buffer = await read(path);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  },
  writeFile: writeAtomically,
};
