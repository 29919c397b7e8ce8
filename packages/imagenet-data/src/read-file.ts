import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readFileSync,
  readlinkSync,
  type Stats,
  statSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { isMainThread } from 'node:worker_threads';
import { BadImageError } from './bad-image.js';

/**
 * An image file on disk: its path as shown, and, where a name on the way is not valid UTF-8, the path's bytes (Node
 * opens a string path as UTF-8, so the shown path would name another file, or none).
 */
export interface ImageFile {
  path: string;
  /** The path's raw bytes, when `path` cannot open the file. */
  file?: Uint8Array;
}

// Opening a FIFO for reading waits for a writer, forever if none comes; with O_NONBLOCK it returns at once and
// fstat then refuses it. Regular files ignore the flag.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/**
 * An image file's bytes: read from its path (only a regular file, after following links: a FIFO, socket, device or
 * folder is refused unread), or the given bytes as a Buffer (no copy). Throws a {@link BadImageError} saying what the
 * path is when it cannot be read (a dangling link, a FIFO, missing, not readable).
 */
export async function readImageFile(source: string | Uint8Array | ImageFile): Promise<Buffer> {
  if (source instanceof Uint8Array) return Buffer.from(source.buffer, source.byteOffset, source.byteLength);
  const file = typeof source === 'string' ? { path: source } : source;
  const target = openable(file);
  try {
    // A worker thread has nothing else to do meanwhile; the promise version costs ~0.4 ms of thread-pool round
    // trips per file, a tenth of a whole image's work.
    if (!isMainThread) {
      const fd = openSync(target, OPEN_FLAGS);
      try {
        assertRegularFile(fstatSync(fd));
        return readFileSync(fd);
      } finally {
        closeSync(fd);
      }
    }
    const handle = await open(target, OPEN_FLAGS);
    try {
      assertRegularFile(await handle.stat());
      return await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new BadImageError(file.path, openProblem(error, target));
  }
}

/** Checks, without opening it, that `file` is a regular file (links followed); throws a {@link BadImageError}. */
export function assertImageFile(file: ImageFile): void {
  const target = openable(file);
  try {
    assertRegularFile(statSync(target));
  } catch (error) {
    throw new BadImageError(file.path, openProblem(error, target));
  }
}

/** What opens `file`: its path, or its path's bytes. */
export function openable(file: ImageFile): string | Buffer {
  return file.file ? Buffer.from(file.file.buffer, file.file.byteOffset, file.file.byteLength) : file.path;
}

class NotARegularFile extends Error {}

function assertRegularFile(stats: Stats): void {
  if (!stats.isFile()) throw new NotARegularFile(`${kindOf(stats)}, not a regular file`);
}

function kindOf(stats: Stats): string {
  return stats.isDirectory()
    ? 'a folder'
    : stats.isFIFO()
      ? 'a FIFO (named pipe)'
      : stats.isSocket()
        ? 'a socket'
        : stats.isCharacterDevice()
          ? 'a character device'
          : stats.isBlockDevice()
            ? 'a block device'
            : 'a special file';
}

/** Why opening `target` failed, in words about the path (no path, no errno text that varies). */
function openProblem(error: unknown, target: string | Buffer): string {
  if (error instanceof NotARegularFile) return error.message;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') {
    const link = linkTarget(target);
    return link === null
      ? 'file not found (removed after the dataset was listed?)'
      : `dangling symbolic link to ${link}`;
  }
  if (code === 'ELOOP') return 'symbolic link loop';
  // open() of a Unix socket fails with ENXIO: say what the path is, as stat (which opens nothing) would.
  if (code === 'ENXIO') {
    const stats = statOrNull(target);
    return stats && !stats.isFile() ? `${kindOf(stats)}, not a regular file` : 'a device with nothing behind it';
  }
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'a folder, not a regular file';
  return `cannot be opened (${code ?? (error as Error).message})`;
}

function statOrNull(target: string | Buffer): Stats | null {
  try {
    return statSync(target, { throwIfNoEntry: false }) ?? null;
  } catch {
    return null;
  }
}

function linkTarget(target: string | Buffer): string | null {
  try {
    return lstatSync(target).isSymbolicLink() ? readlinkSync(target, 'utf8') : null;
  } catch {
    return null;
  }
}
