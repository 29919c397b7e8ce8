import { parseArgs } from 'node:util';
import { UsageError } from './errors.js';

type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

/** Flags every command takes. */
export const COMMON: OptionSpec = {
  backend: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  json: { type: 'boolean' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

/** Parses a command's flags strictly: an unknown flag or a missing value is one clear error line. */
export function parseFlags(command: string, argv: string[], options: OptionSpec, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options: { ...COMMON, ...options }, allowPositionals, strict: true });
  } catch (error) {
    const message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new UsageError(`${message} (see 'alexnet ${command} --help')`);
  }
}

/** A flag's value as a number, or an error naming the flag. */
export function numberFlag(
  name: string,
  value: string | undefined,
  options: { integer?: boolean; min?: number } = {},
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (
    !Number.isFinite(n) ||
    (options.integer && !Number.isInteger(n)) ||
    (options.min !== undefined && n < options.min)
  ) {
    const kind = options.integer ? 'an integer' : 'a number';
    const bound = options.min !== undefined ? ` of at least ${options.min}` : '';
    throw new UsageError(`--${name} must be ${kind}${bound}, got "${value}"`);
  }
  return n;
}

/** A flag restricted to some values, or an error listing them. */
export function choiceFlag<T extends string>(
  name: string,
  value: string | undefined,
  choices: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if (!choices.includes(value as T))
    throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got "${value}"`);
  return value as T;
}
