import type { EpochRecord, StepEvent } from '@alexnet/trainer';

/** How a command talks: a progress bar on a terminal, plain lines in logs, nothing with --quiet, JSON with --json. */
export interface Output {
  info(line: string): void;
  step(event: StepEvent, total: number, epochs: number): void;
  epoch(record: EpochRecord, epochs: number): void;
  json(value: unknown): void;
  done(): void;
}

export function createOutput(options: { quiet?: boolean; json?: boolean; stream?: NodeJS.WriteStream }): Output {
  const stream = options.stream ?? process.stderr;
  const tty = Boolean(stream.isTTY) && !options.json;
  const silent = Boolean(options.quiet || options.json);
  let lastPlain = 0;
  let barShown = false;
  const clearBar = () => {
    if (barShown) stream.write('\r\x1b[2K');
    barShown = false;
  };
  return {
    info(line) {
      if (silent) return;
      clearBar();
      stream.write(`${line}\n`);
    },
    step(event, total, epochs) {
      if (silent) return;
      const eta =
        event.imagesPerSecond > 0 && total > 0
          ? ((total - event.batch) * (event.images / event.batch)) / event.imagesPerSecond
          : 0;
      const loss = event.loss === null ? '' : ` loss ${event.loss.toFixed(4)}`;
      if (tty) {
        const width = 24;
        const filled = total > 0 ? Math.round((event.batch / total) * width) : 0;
        const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
        stream.write(
          `\r\x1b[2Kepoch ${event.epoch}/${epochs} ${bar} ${event.batch}/${total} ${event.imagesPerSecond.toFixed(1)} img/s${loss} ETA ${formatDuration(eta)}`,
        );
        barShown = true;
      } else if (event.loss !== null || Date.now() - lastPlain > 30_000) {
        lastPlain = Date.now();
        stream.write(
          `epoch ${event.epoch}/${epochs} step ${event.step} batch ${event.batch}/${total} ${event.imagesPerSecond.toFixed(1)} img/s${loss}\n`,
        );
      }
    },
    epoch(record, epochs) {
      if (silent) return;
      clearBar();
      // Bad files met are counted on the line of the pass that met them (training replaces them; validation skips).
      const val = record.val
        ? ` | val loss ${record.val.loss.toFixed(4)} top-1 ${pct(record.val.top1)} top-5 ${pct(record.val.top5)}${badFileCounts(record.val)}`
        : '';
      stream.write(
        `epoch ${record.epoch}/${epochs} | train loss ${record.train.loss.toFixed(4)} top-1 ${pct(record.train.top1)}${badFileCounts(record.train)}${val} | lr ${record.lr.toPrecision(3)} | ${record.seconds.toFixed(1)} s, ${record.imagesPerSecond.toFixed(1)} img/s\n`,
      );
    },
    json(value) {
      process.stdout.write(`${JSON.stringify(value)}\n`);
    },
    done() {
      clearBar();
    },
  };
}

/** "12 images", and the bad files left out or replaced when there were any: "12 images, 1 bad file skipped". */
export function scored(result: { count: number; skipped?: number; substituted?: number }): string {
  return `${plural(result.count, 'image')}${badFileCounts(result)}`;
}

/** ", 1 bad file skipped" / ", 2 bad files replaced" when a pass met bad files; "" when it met none. */
function badFileCounts(result: { skipped?: number; substituted?: number }): string {
  const skipped = result.skipped ? `, ${plural(result.skipped, 'bad file')} skipped` : '';
  const substituted = result.substituted ? `, ${plural(result.substituted, 'bad file')} replaced` : '';
  return `${skipped}${substituted}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function pct(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

/**
 * A name from the disk (a class folder, a file path) for a line of text: control characters escaped (`\n` as
 * `\\n`), so that a folder named with a newline cannot split a report line in two or forge one.
 */
export function printable(text: string): string {
  const escapes: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
  return text.replace(CONTROL, (c) => escapes[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** The C0 control characters and DEL. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: they are what printable() escapes
const CONTROL = /[\u0000-\u001f\u007f]/g;
