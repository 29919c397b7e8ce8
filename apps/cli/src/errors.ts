import { StateDictError } from '@alexnet/layers';

/** An error meant for the user: printed as one line, without a stack trace unless --debug. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * What the command prints for an error it stops on: the first line of its message, as one line, except for a state
 * dict that does not fit a model (a {@link StateDictError}, or an error it caused), whose lines name the missing,
 * unexpected and mis-shaped keys (as PyTorch prints them; the library bounds each list); with `debug` the stack.
 */
export function errorText(error: Error, debug: boolean): string {
  if (debug) return error.stack ?? error.message;
  for (let cause: unknown = error, depth = 0; cause instanceof Error && depth < 8; cause = cause.cause, depth++) {
    if (cause instanceof StateDictError) return error.message;
  }
  return error.message.split('\n')[0];
}
