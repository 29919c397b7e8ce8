/** A request to stop training, listened for while {@link fit} runs. */
export interface StopListener {
  /** Aborted once a stop is requested; fit checks it after each step. */
  readonly signal: AbortSignal;
  /** Stops listening (fit calls it when it returns or throws). */
  release(): void;
}

/**
 * Listens for a stop: `signal` aborting and, with `handleSignals`, the process receiving SIGINT or SIGTERM (which
 * then no longer end the process: training stops after the current step instead).
 */
export function listenForStop(signal: AbortSignal | undefined, handleSignals = false): StopListener {
  const controller = new AbortController();
  const abort = () => controller.abort();
  signal?.addEventListener('abort', abort, { once: true });
  if (signal?.aborted) abort();
  if (handleSignals) {
    process.on('SIGINT', abort);
    process.on('SIGTERM', abort);
  }
  return {
    signal: controller.signal,
    release() {
      signal?.removeEventListener('abort', abort);
      if (handleSignals) {
        process.off('SIGINT', abort);
        process.off('SIGTERM', abort);
      }
    },
  };
}
