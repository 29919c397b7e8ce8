import type { DownloadedWeights } from '@alexnet/models';

/** What a download reports to: `onProgress` for `downloadWeights`, then `finish` or `fail`. */
export interface DownloadProgress {
  onProgress(received: number, total: number | null): void;
  /** After the download (or the cache hit): ends the bar, or prints the closing line. */
  finish(file: DownloadedWeights): void;
  /** After a failed download: ends a half-drawn bar so the error starts its own line. */
  fail(): void;
}

/** The part of a stream the reporter needs (process.stderr, or a test's stand-in). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** The bar is redrawn at most this often: a fast download would otherwise spend its time writing to the terminal. */
const REDRAW_MS = 100;

/**
 * Progress of a weights download on stderr: a bar redrawn in place on a terminal; elsewhere (logs, CI) one line
 * when the download starts and one when it ends, so a log does not fill with bars. A cache hit prints nothing;
 * `quiet` prints nothing at all.
 */
export function downloadProgress(
  what: string,
  options: { stream?: ProgressStream; quiet?: boolean; now?: () => number } = {},
): DownloadProgress {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? Date.now;
  const tty = Boolean(stream.isTTY);
  let started: number | null = null;
  let drawn = false;
  let drawnAt = -1;
  let lastDraw = 0;
  let last: [number, number | null] = [0, null];

  const draw = () => {
    const [received, total] = last;
    const amount = total ? `${mib(received)}/${mib(total)} MiB` : `${mib(received)} MiB`;
    const percent = total ? `${Math.floor((100 * received) / total)}%`.padStart(4) : '';
    const head = `Downloading ${what} `;
    const tail = ` ${percent} ${amount}`;
    const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - head.length - tail.length - 3));
    const filled = total ? Math.min(width, Math.floor((width * received) / total)) : 0;
    const bar = total ? `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]` : '';
    // \r and clear-to-end-of-line: the bar overwrites itself.
    stream.write(`\r${head}${bar}${tail}\x1b[K`);
    drawn = true;
    drawnAt = received;
    lastDraw = now();
  };

  return {
    onProgress(received, total) {
      if (options.quiet) return;
      last = [received, total];
      if (started === null) {
        started = now();
        if (!tty) {
          const size = total ? ` (${mib(total)} MiB)` : '';
          stream.write(`alexnet: downloading ${what}${size}\n`);
        }
      }
      if (tty && (!drawn || now() - lastDraw >= REDRAW_MS || received === total)) draw();
    },
    finish(file) {
      if (options.quiet || file.fromCache || started === null) return;
      const seconds = ((now() - started) / 1000).toFixed(1);
      const saved = file.location ? ` to ${file.location}` : '';
      if (tty) {
        if (drawnAt !== last[0]) draw();
        stream.write('\n');
      }
      stream.write(
        `alexnet: downloaded ${file.url} (${mib(file.bytes.byteLength)} MiB in ${seconds} s, SHA-256 checked)${saved}\n`,
      );
    },
    fail() {
      if (drawn) stream.write('\n');
    },
  };
}

function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(1);
}
