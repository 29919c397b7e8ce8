import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Writes one entry of a run's metrics log. */
export type RunLog = (entry: object) => Promise<void>;

/** A JSON-lines log: each entry appended to `file` as one line (its folder created); no log when `file` is null. */
export function jsonLinesLog(file: string | null): RunLog {
  return async (entry) => {
    if (!file) return;
    await mkdir(dirname(file), { recursive: true });
    await appendFile(file, `${JSON.stringify(entry)}\n`);
  };
}
