import { readdirSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { saveCheckpoint, type TrainingState } from './checkpoint.js';
import type { EpochRecord } from './events.js';
import type { FitOptions, FitSettings } from './fit-options.js';

/** Where a run is: what {@link fit} checkpoints besides the model, optimiser, scheduler and generators. */
export interface RunState extends Omit<TrainingState, 'optimizer' | 'scheduler' | 'rng' | 'config'> {
  history: EpochRecord[];
}

/** A run before its first epoch. */
export function newRun(): RunState {
  return { epoch: 0, step: 0, best: null, history: [] };
}

/**
 * The temporary names `writeAtomically` / `linkAtomically` (`@alexnet/torch-io/node`) give this run's checkpoint
 * files while writing them: `.<name>.<12 hex digits>.tmp` beside `<name>`, for the names {@link RunCheckpoints}
 * writes. A kill during a write leaves one behind (as large as the checkpoint).
 */
const CHECKPOINT_TEMPORARY = /^\.(?:last|best|interrupted|epoch-[1-9][0-9]*)\.safetensors\.[0-9a-f]{12}\.tmp$/;

/**
 * Removes the temporary checkpoint files an earlier, killed run left in `dir` (only names matching
 * {@link CHECKPOINT_TEMPORARY}, never anything else); returns their names. A missing folder has none.
 */
export async function removeStaleTemporaries(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return [];
    throw error;
  }
  const stale = names.filter((name) => CHECKPOINT_TEMPORARY.test(name));
  for (const name of stale) await rm(join(dir, name), { force: true });
  return stale;
}

/** The names of the checkpoints {@link RunCheckpoints} writes. */
const CHECKPOINT_FILE = /^(?:last|best|interrupted|epoch-[1-9][0-9]*)\.safetensors$/;

/**
 * The files of a run that {@link fit} wrote in a checkpoint folder, sorted by name: its checkpoints (`last`, `best`,
 * `interrupted`, `epoch-<n>` `.safetensors`), `metrics.jsonl` and temporary checkpoint files. A new run in that
 * folder (`fit` without `resume`) would overwrite the checkpoints and append to the metrics, so a caller that is
 * not resuming checks the folder with this first. A missing folder has none.
 */
export function runFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw error;
  }
  return names
    .filter((name) => name === 'metrics.jsonl' || CHECKPOINT_FILE.test(name) || CHECKPOINT_TEMPORARY.test(name))
    .sort();
}

/** The parts of {@link FitOptions} a checkpoint holds or describes. */
export type CheckpointedOptions = Pick<
  FitOptions,
  'model' | 'optimizer' | 'scheduler' | 'config' | 'weightsMetadata' | 'keepEveryEpoch'
>;

/**
 * A run's checkpoint files in its checkpoint folder: `last.safetensors` after every epoch, `best.safetensors` when
 * the monitored metric improved, `epoch-<n>.safetensors` with `keepEveryEpoch`, `interrupted.safetensors` on a
 * stop. Without a folder it saves nothing.
 */
export class RunCheckpoints {
  private readonly dir: string | null;
  private readonly lastPath: string | null;

  constructor(
    private readonly options: CheckpointedOptions,
    private readonly settings: Pick<FitSettings, 'checkpointDir' | 'lastPath' | 'generators'>,
  ) {
    this.dir = settings.checkpointDir;
    this.lastPath = settings.lastPath;
  }

  /** Saves the run after `epoch` (already counted in `run`); an improved epoch is also the best. */
  async saveEpoch(run: RunState, epoch: number, improved: boolean): Promise<void> {
    if (!this.dir || !this.lastPath) return;
    const paths = [this.lastPath];
    if (improved) paths.push(join(this.dir, 'best.safetensors'));
    if (this.options.keepEveryEpoch) paths.push(join(this.dir, `epoch-${epoch}.safetensors`));
    await this.save(paths, run);
  }

  /** Saves the weights at an interruption; returns the file, or null without a folder. */
  async saveInterrupted(run: RunState): Promise<string | null> {
    const path = this.dir ? join(this.dir, 'interrupted.safetensors') : null;
    if (path) await this.save(path, run);
    return path;
  }

  private save(path: string | string[], run: RunState): Promise<void> {
    const { model, optimizer, weightsMetadata } = this.options;
    return saveCheckpoint(path, model, optimizer, this.state(run), weightsMetadata);
  }

  /** The checkpoint's metadata: the run, the scheduler's and generators' states and the configuration. */
  private state(run: RunState): Omit<TrainingState, 'optimizer'> & Pick<RunState, 'history'> {
    return {
      epoch: run.epoch,
      step: run.step,
      best: run.best,
      scheduler: this.options.scheduler?.stateDict() ?? null,
      rng: this.settings.generators.map((g) => g.getState()),
      config: this.options.config ?? {},
      history: run.history,
    };
  }
}
