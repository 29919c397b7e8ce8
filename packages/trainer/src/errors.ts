/** Training stopped on request (signal); the message says which checkpoint to resume from. */
export class TrainingInterruptedError extends Error {
  constructor(
    message: string,
    readonly checkpoint: string | null,
  ) {
    super(message);
    this.name = 'TrainingInterruptedError';
  }
}

/** The loss became NaN or infinite; the last good checkpoint is kept. */
export class NonFiniteLossError extends Error {
  constructor(
    message: string,
    readonly checkpoint: string | null,
  ) {
    super(message);
    this.name = 'NonFiniteLossError';
  }
}

/** Where a run stood when it stopped: the checkpoint of its last finished epoch, if any. */
export interface StopPoint {
  epoch: number;
  step: number;
  /** `last.safetensors`, or null without a checkpoint folder. */
  lastPath: string | null;
  /** Epochs finished (and so in `lastPath`). */
  lastEpoch: number;
}

/** A resumable checkpoint exists once an epoch has finished in a checkpoint folder. */
function resumableCheckpoint({ lastPath, lastEpoch }: StopPoint): string | null {
  return lastPath && lastEpoch > 0 ? lastPath : null;
}

/** The error for a NaN or infinite `loss`, naming the last good checkpoint. */
export function nonFiniteLossError(loss: number, at: StopPoint): NonFiniteLossError {
  const last = resumableCheckpoint(at);
  const kept = last
    ? `The last good checkpoint is ${last} (epoch ${at.lastEpoch}).`
    : 'No epoch had finished, so there is no checkpoint.';
  return new NonFiniteLossError(
    `Loss is ${loss} at epoch ${at.epoch}, step ${at.step}: training stopped. Lower the learning rate or check the data. ${kept}`,
    last,
  );
}

/**
 * The error for a run stopped after `batches` batches of epoch `at.epoch`, naming the checkpoint to resume from and
 * `interruptedPath`, where the weights at the interruption were saved (null when nothing was).
 */
export function interruptedError(
  at: StopPoint,
  batches: number,
  interruptedPath: string | null,
): TrainingInterruptedError {
  const last = resumableCheckpoint(at);
  return new TrainingInterruptedError(
    `Training interrupted during epoch ${at.epoch} after ${batches} batches. ` +
      (last
        ? `Resume from ${last} (epoch ${at.lastEpoch}); the weights at the interruption are in ${interruptedPath}.`
        : interruptedPath
          ? `No epoch finished; the weights at the interruption are in ${interruptedPath}.`
          : 'No checkpoint folder was given, so nothing was saved.'),
    last ?? interruptedPath,
  );
}
