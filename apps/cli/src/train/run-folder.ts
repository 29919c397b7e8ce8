import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { EpochRecord } from '@alexnet/trainer';
import type { BackendInfo } from '../backend.js';
import { UsageError } from '../errors.js';
import { renderReport } from '../report.js';
import type { TrainConfig } from './options.js';

/** A run's settings as its `config.json` records them: the folders found and the backend that ran. */
export type RecordedConfig = TrainConfig & { data: string; val: string | null; backendUsed: BackendInfo };

/** The checkpoint a `--resume` path means: a file as it is, a run folder's `last.safetensors`. */
export function resumePath(path: string): string {
  if (!existsSync(path)) throw new UsageError(`--resume: nothing at ${path}`);
  if (statSync(path).isDirectory()) {
    const last = join(path, 'last.safetensors');
    if (!existsSync(last)) throw new UsageError(`--resume: ${path} has no last.safetensors checkpoint`);
    return last;
  }
  return path;
}

/** Creates the run folder (the resumed checkpoint's, --out, or `runs/<model>-<time>`) and writes `config.json`. */
export function createRunFolder(config: RecordedConfig, resumeFrom: string | null): string {
  const runDir = resolve(
    resumeFrom ? resolve(resumeFrom, '..') : (config.out ?? join('runs', `${config.model}-${timestamp()}`)),
  );
  mkdirSync(runDir, { recursive: true });
  writeFileSync(join(runDir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  return runDir;
}

/** Writes the run's `report.html` and returns its path. */
export function writeRunReport(
  runDir: string,
  run: {
    title: string;
    config: RecordedConfig;
    backend: BackendInfo;
    history: EpochRecord[];
    best: { metric: string; value: number; epoch: number } | null;
  },
): string {
  const path = join(runDir, 'report.html');
  writeFileSync(path, renderReport(run));
  return path;
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}
