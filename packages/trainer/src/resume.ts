import { existsSync } from 'node:fs';
import type { RandomGeneratorState } from '@alexnet/layers';
import { readCheckpoint, restoreCheckpoint, type TrainingState } from './checkpoint.js';
import { newRun, type RunState, removeStaleTemporaries } from './checkpointing.js';
import type { EpochRecord } from './events.js';
import type { FitOptions, FitSettings } from './fit-options.js';

/** The checkpoint to continue from: `resume` as a path, or for `true` the folder's last one when it exists. */
export function resumePath(resume: FitOptions['resume'], lastPath: string | null): string | null {
  if (resume === true) return lastPath && existsSync(lastPath) ? lastPath : null;
  return resume || null;
}

/**
 * The run {@link fit} starts from: a new one, or the one saved in the checkpoint `options.resume` names, with the
 * model's weights, the optimiser's and scheduler's states and the generators' states restored from it. First it
 * removes the temporary checkpoint files a killed run left in the checkpoint folder.
 */
export async function startRun(
  options: Pick<FitOptions, 'model' | 'optimizer' | 'scheduler' | 'resume'>,
  settings: Pick<FitSettings, 'checkpointDir' | 'lastPath' | 'generators'>,
): Promise<RunState> {
  if (settings.checkpointDir) await removeStaleTemporaries(settings.checkpointDir);
  const path = resumePath(options.resume, settings.lastPath);
  if (!path) return newRun();
  const checkpoint = await readCheckpoint(path);
  restoreCheckpoint(checkpoint, options.model, options.optimizer);
  const saved = checkpoint.state as TrainingState & { history?: EpochRecord[] };
  options.scheduler?.loadStateDict(saved.scheduler ?? {});
  for (const [i, state] of saved.rng.entries()) settings.generators[i]?.setState(state as RandomGeneratorState);
  return { epoch: saved.epoch, step: saved.step, best: saved.best, history: saved.history ?? [] };
}
