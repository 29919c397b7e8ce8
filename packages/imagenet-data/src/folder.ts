import { isUtf8 } from 'node:buffer';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageFile } from './read-file.js';

/** What a folder entry is once symbolic links are followed (`dangling`: a link to nothing, or a loop). */
export type EntryKind = 'file' | 'directory' | 'dangling' | 'other';

/** A folder entry: its name and path as shown, the path's bytes where they are needed to open it, and its kind. */
export interface FolderEntry extends ImageFile {
  name: string;
  kind: EntryKind;
}

/**
 * The entries of a folder (given by path, or by {@link FolderEntry} to reach folders whose names are not UTF-8),
 * with symbolic links followed as torchvision's `ImageFolder` follows them: a link to an image is a file, a link to
 * a folder a folder. Names are read as bytes: a name that is not valid UTF-8 is shown with `\xNN` for its odd bytes,
 * and its entry carries the path's bytes, which open it.
 */
export function readFolder(folder: string | FolderEntry): FolderEntry[] {
  const parent: ImageFile = typeof folder === 'string' ? { path: folder } : folder;
  const parentBytes = parent.file ? Buffer.from(parent.file) : null;
  const dirents = readdirSync(parentBytes ?? parent.path, { withFileTypes: true, encoding: 'buffer' });
  return dirents.map((dirent) => {
    const raw = dirent.name as unknown as Buffer;
    const utf8 = isUtf8(raw);
    const name = utf8 ? raw.toString('utf8') : shownName(raw);
    const path = join(parent.path, name);
    const bytes =
      parentBytes || !utf8 ? Buffer.concat([parentBytes ?? Buffer.from(parent.path), Buffer.from('/'), raw]) : null;
    const kind: EntryKind = dirent.isFile() ? 'file' : dirent.isDirectory() ? 'directory' : kindOf(bytes ?? path);
    return bytes ? { name, path, file: new Uint8Array(bytes), kind } : { name, path, kind };
  });
}

/** A link's (or an unknown entry's) kind, following links. */
function kindOf(path: string | Buffer): EntryKind {
  try {
    const stats = statSync(path, { throwIfNoEntry: false });
    if (!stats) return 'dangling';
    return stats.isFile() ? 'file' : stats.isDirectory() ? 'directory' : 'other';
  } catch {
    return 'dangling'; // ELOOP, or a link into a folder that cannot be read
  }
}

/** A name that is not UTF-8, readable: printable ASCII kept, every other byte as `\xNN` (as `ls -b` shows it). */
function shownName(raw: Buffer): string {
  let name = '';
  for (const byte of raw) {
    name +=
      byte >= 0x20 && byte < 0x7f && byte !== 0x5c
        ? String.fromCharCode(byte)
        : `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return name;
}
