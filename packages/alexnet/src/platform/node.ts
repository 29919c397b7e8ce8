import { randomBytes } from 'node:crypto';
import { readFile as read, rename, rm, writeFile as write } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { FileAccess } from './types.js';

export const files: FileAccess = {
  async readFile(path) {
    const buffer = await read(path);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  },
  async writeFile(path, data) {
    const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await write(temporary, data);
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  },
};
