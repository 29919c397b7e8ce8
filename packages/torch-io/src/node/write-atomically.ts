import { randomBytes } from 'node:crypto';
import { link, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** A fresh hidden name beside `path`, for a file that becomes `path` by a rename. */
function temporaryBeside(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * Writes `data` to a temporary file beside `path`, then renames it over `path`, so a reader (or a crash) never
 * sees a half-written file: `path` holds either its old content or all of `data`. Creates `path`'s folder.
 */
export async function writeAtomically(path: string, data: Uint8Array | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = temporaryBeside(path);
  try {
    await writeFile(temporary, data);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/**
 * Makes `path` a second name of the file `existing` (a hard link: no copy, and replacing `existing` later leaves it
 * as it is), atomically; where the file system has no hard links, writes `data` there with {@link writeAtomically}.
 */
export async function linkAtomically(existing: string, path: string, data: Uint8Array | string): Promise<void> {
  const temporary = temporaryBeside(path);
  try {
    await link(existing, temporary);
    await rename(temporary, path);
  } catch {
    await rm(temporary, { force: true });
    await writeAtomically(path, data);
  }
}
