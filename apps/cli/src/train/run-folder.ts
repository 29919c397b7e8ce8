import { existsSync, lstatSync, mkdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { type EpochRecord, runFiles } from '@alexnet/trainer';
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

/** The files this command writes in a run folder, beside the trainer's checkpoints and metrics. */
const COMMAND_FILES = ['config.json', 'report.html'];

/** A run's folder, chosen before the run starts: where it goes, and the earlier run's files it replaces. */
export interface RunFolder {
  path: string;
  /** The files of an earlier run there that `--overwrite` replaces (none unless it was given). */
  replaces: string[];
}

/**
 * The run folder (the resumed checkpoint's, --out, or `runs/<model>-<time>`), checked before any data is read: a
 * new run refuses a folder that holds a run (its `config.json`, checkpoints or metrics), which it would overwrite
 * and append to, unless `overwrite` says to replace that run. A resumed run continues in its checkpoint's folder:
 * an `--out` flag (`outFlag`) naming another folder is refused rather than ignored.
 */
export function chooseRunFolder(
  config: TrainConfig,
  resumeFrom: string | null,
  options: { overwrite: boolean; outFlag?: string },
): RunFolder {
  if (resumeFrom) {
    if (options.overwrite) throw new UsageError('--overwrite starts a new run: it does not go with --resume');
    const path = resolve(resumeFrom, '..');
    if (options.outFlag !== undefined && resolve(options.outFlag) !== path) {
      throw new UsageError(
        `--out ${resolve(options.outFlag)}: a resumed run continues in its checkpoint's folder ${path} (leave --out out, or point it there)`,
      );
    }
    return { path, replaces: [] };
  }
  const path = resolve(config.out ?? join('runs', `${config.model}-${timestamp()}`));
  if (existsSync(path) && !statSync(path).isDirectory()) throw new UsageError(`--out ${path} is a file, not a folder`);
  checkCreatable(path);
  const earlier = [...runFiles(path), ...COMMAND_FILES.filter((name) => existsSync(join(path, name)))].sort();
  if (earlier.length > 0 && !options.overwrite) {
    throw new UsageError(
      `--out ${path} already holds a run (${earlier.join(', ')}): pass --resume ${path} to continue it, or --overwrite to replace it`,
    );
  }
  return { path, replaces: earlier };
}

/**
 * That the folder `path` can be made: no dangling link at it, no file where a folder above it should be. Either
 * failed in mkdir with Node's bare ENOENT / ENOTDIR, after the data was opened.
 */
function checkCreatable(path: string): void {
  if (existsSync(path)) return;
  for (let at = path; at !== dirname(at); at = dirname(at)) {
    let link: ReturnType<typeof lstatSync> | undefined;
    try {
      link = lstatSync(at);
    } catch {
      continue; // missing (made by mkdir), or below a file, which the loop reaches next
    }
    if (link.isSymbolicLink() && !existsSync(at)) {
      throw new UsageError(`--out ${path}: ${at} is a dangling symbolic link (to ${readlinkSync(at)})`);
    }
    if (!statSync(at).isDirectory()) throw new UsageError(`--out ${path}: ${at} is a file, not a folder`);
    return;
  }
}

/**
 * Creates the run folder and writes `config.json`, first removing the earlier run's files that `--overwrite`
 * replaces (so its checkpoints cannot be taken for this run's, nor its metrics appended to).
 */
export function createRunFolder(folder: RunFolder, config: RecordedConfig): string {
  for (const name of folder.replaces) rmSync(join(folder.path, name), { force: true });
  mkdirSync(folder.path, { recursive: true });
  writeFileSync(join(folder.path, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  return folder.path;
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
