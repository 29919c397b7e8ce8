/**
 * A file that cannot be used as an image, and why: `message` is `<path>: <reason>`. The reason is about the file
 * itself (what it is, where it is broken), worded the same on every run and in every thread, so that reports of two
 * runs can be compared line by line.
 */
export class BadImageError extends Error {
  override readonly name = 'BadImageError';

  constructor(
    /** The file as shown (its path, or the name given for bytes). */
    readonly path: string,
    /** Why it cannot be used, without the path. */
    readonly reason: string,
  ) {
    super(`${path}: ${reason}`);
  }
}

/** `1234567` as `1,234,567` (the same in every locale and thread, unlike `toLocaleString`). */
export function thousands(value: number): string {
  return String(value).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
