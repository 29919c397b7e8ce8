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
      const val = record.val
        ? ` | val loss ${record.val.loss.toFixed(4)} top-1 ${pct(record.val.top1)} top-5 ${pct(record.val.top5)}`
        : '';
      stream.write(
        `epoch ${record.epoch}/${epochs} | train loss ${record.train.loss.toFixed(4)} top-1 ${pct(record.train.top1)}${val} | lr ${record.lr.toPrecision(3)} | ${record.seconds.toFixed(1)} s, ${record.imagesPerSecond.toFixed(1)} img/s\n`,
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
