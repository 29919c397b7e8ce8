import { parseArgs } from 'node:util';
import { BACKENDS } from './backend.js';
import { UsageError } from './errors.js';

/**
 * One flag of a command, declared once: how it is parsed and checked, what `--help` says about it, its default, and
 * (by its key in the table) the setting it fills. A command's help text, its `util.parseArgs` spec and its settings
 * type ({@link Settings}) are all derived from its table.
 */
export type OptionDef = StringOption | NumberOption | NumbersOption | ChoiceOption | BooleanOption;

interface OptionBase {
  /** The flag without `--`; default: the table key in kebab case (`batchSize` -> `batch-size`). */
  flag?: string;
  /** A one-letter alias (`-q`). */
  short?: string;
  /** One line for `--help`. */
  help: string;
  /** Shown in `--help` instead of the default, where the default is not a literal (`one a core`). */
  defaultText?: string;
  /** Accepted but not listed in `--help` (flags every command takes for compatibility). */
  hidden?: boolean;
  /** The setting may also be null (a recipe's or a config file's "the model's own"), though its default is not. */
  nullable?: boolean;
}
interface StringOption extends OptionBase {
  type: 'string';
  /** The value's name in `--help`: `<dir>`. */
  value: string;
  default?: string | null;
  /** The command cannot run without it: `eval needs --data <dir>`. */
  required?: boolean;
}
interface NumberOption extends OptionBase {
  type: 'number' | 'integer';
  value?: string;
  default?: number | null;
  min?: number;
  /** A bound the value must stay over (a width multiplier > 0). */
  above?: number;
  /** The largest value allowed. */
  max?: number;
  /** A bound the value must stay under (dropout's p < 1). */
  below?: number;
}
/** A comma-separated list of integers: `--batch-size 32,128`. */
interface NumbersOption extends OptionBase {
  type: 'integers';
  value?: string;
  default?: readonly number[];
  min?: number;
}
interface ChoiceOption extends OptionBase {
  type: 'choice';
  value?: string;
  choices: readonly string[];
  default?: string | null;
}
interface BooleanOption extends OptionBase {
  type: 'boolean';
  default?: boolean;
  /** A `--no-...` flag: giving it sets the setting to false. */
  negated?: boolean;
}

/** A command's flags, keyed by the setting each fills. */
export type OptionTable = Record<string, OptionDef>;

/** The value type of one option. */
export type OptionValue<D> = D extends { type: 'boolean' }
  ? boolean
  : D extends { type: 'number' | 'integer' }
    ? number
    : D extends { type: 'integers' }
      ? number[]
      : D extends { type: 'choice'; choices: readonly (infer C)[] }
        ? C
        : string;

/** A setting's type: `null` where the default is null (or it is nullable), `undefined` where there is no default. */
type Setting<D> = D extends { required: true }
  ? OptionValue<D>
  : D extends { default: null } | { nullable: true }
    ? OptionValue<D> | null
    : D extends { default: unknown }
      ? OptionValue<D>
      : OptionValue<D> | undefined;

/** The settings a table describes, with its defaults applied. */
export type Settings<T extends OptionTable> = { -readonly [K in keyof T]: Setting<T[K]> };

/** The settings given on the command line (absent flags are absent keys). */
export type GivenSettings<T extends OptionTable> = { -readonly [K in keyof T]?: OptionValue<T[K]> };

/** `--width`, the models' width multiplier (train, bench): the same bounds as the model's own check. */
export const WIDTH_OPTION = {
  type: 'number',
  value: '<x>',
  above: 0,
  max: 16,
  default: 1,
  help: "width multiplier: every layer's channels times x (0.25 for quick runs)",
} as const satisfies OptionDef;

/** `--backend`, for the commands that run tensors. */
/**
 * The largest --image-size: 4096 pixels a side is 200 MB an image in float32, already past what a batch of AlexNet
 * inputs needs; a side of 99999 (120 GB an image) failed only in the loader, after the model was built.
 */
export const MAX_IMAGE_SIZE = 4096;

export const BACKEND_OPTION = {
  type: 'choice',
  value: '<name>',
  choices: BACKENDS,
  default: 'auto',
  help: 'what runs the tensors',
} as const satisfies OptionDef;

/**
 * `--adapter`, beside `--backend`: which WebGPU adapter. One line in each table that has `--backend`; the
 * environment variable serves scripts that cannot add a flag.
 */
export const ADAPTER_OPTION = {
  type: 'string',
  value: '<index|name>',
  default: null,
  help: 'webgpu: the adapter, by index or part of its name (or ALEXNET_WEBGPU_ADAPTER)',
  defaultText: 'the first high-performance one',
} as const satisfies OptionDef;

/** `--offline`, beside `--weights`: weights of the table from the cache only (the variable serves scripts). */
export const OFFLINE_OPTION = {
  type: 'boolean',
  default: false,
  help: 'weights of the table from the cache only, never the network (or ALEXNET_OFFLINE=1)',
} as const satisfies OptionDef;

export const JSON_OPTION = { type: 'boolean', help: 'print the result as JSON on stdout' } as const satisfies OptionDef;
export const QUIET_OPTION = {
  type: 'boolean',
  short: 'q',
  help: 'no progress or information lines',
} as const satisfies OptionDef;

/** Flags every command accepts (as it always has), whether or not its help lists them. */
const COMMON_OPTIONS = {
  backend: { ...BACKEND_OPTION, hidden: true },
  quiet: { ...QUIET_OPTION, hidden: true },
  json: { ...JSON_OPTION, hidden: true },
  debug: { type: 'boolean', help: 'stack traces on errors', hidden: true },
  help: { type: 'boolean', short: 'h', help: 'this text', hidden: true },
} as const satisfies OptionTable;

/** What {@link parseOptions} read: `help` (print the help and stop), else the given settings and positionals. */
export interface ParsedOptions<T extends OptionTable> {
  help: boolean;
  /** The values of the table's flags that were given (the common flags it does not list are checked, not returned). */
  given: GivenSettings<T>;
  positionals: string[];
}

/** The flag a table entry declares. */
export function flagName(key: string, def: OptionDef): string {
  return def.flag ?? key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * Parses a command's arguments strictly against its table (an unknown flag or a missing value is one clear error
 * line), then, unless `--help` was given, checks and converts each value (`--epochs must be an integer of at least 1,
 * got "many"`) and the required flags.
 */
export function parseOptions<T extends OptionTable>(
  command: string,
  argv: string[],
  table: T,
  options: { positionals?: boolean } = {},
): ParsedOptions<T> {
  // The command's own options first: with two bad flags, the error names the first of its table.
  const all: OptionTable = { ...table };
  for (const [key, def] of Object.entries(COMMON_OPTIONS)) all[key] ??= def;
  const spec: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [key, def] of Object.entries(all)) {
    spec[flagName(key, def)] = {
      type: def.type === 'boolean' ? 'boolean' : 'string',
      ...(def.short ? { short: def.short } : {}),
    };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: joinNegativeValues(argv, all),
      options: spec,
      allowPositionals: options.positionals ?? false,
      strict: true,
    });
  } catch (error) {
    const message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new UsageError(`${message} (see 'alexnet ${command} --help')`);
  }
  const result = { help: Boolean(parsed.values.help), given: {}, positionals: parsed.positionals };
  if (result.help) return result as ParsedOptions<T>;
  const given: Record<string, unknown> = {};
  for (const [key, def] of Object.entries(all)) {
    const name = flagName(key, def);
    const raw = parsed.values[name] as string | boolean | undefined;
    if (raw === undefined) {
      if (def.type === 'string' && def.required)
        throw new UsageError(`${command} needs --${name} ${def.value} (see alexnet ${command} --help)`);
      continue;
    }
    const value = convert(name, def, raw);
    if (Object.hasOwn(table, key)) given[key] = value;
  }
  return { ...result, given } as ParsedOptions<T>;
}

function convert(name: string, def: OptionDef, raw: string | boolean): unknown {
  // A `--no-...` flag given means false.
  if (def.type === 'boolean') return !def.negated;
  const text = raw as string;
  let value: unknown = text;
  if (def.type === 'number' || def.type === 'integer') value = decimalNumber(text);
  if (def.type === 'integers') {
    // Each item checked on its own, so the error quotes the bad one.
    const item: OptionDef = { type: 'integer', min: def.min, help: def.help };
    return text.split(',').map((part) => convert(name, item, part.trim()));
  }
  const problem = valueProblem(def, value);
  if (problem !== null) throw new UsageError(`--${name} must be ${problem}, got "${text}"`);
  return value;
}

/**
 * The arguments with each negative number that follows a flag taking a value joined to it (`--lr -1` becomes
 * `--lr=-1`): `util.parseArgs` reads a value that starts with `-` as "ambiguous", so `--lr -1` would never reach
 * the check that says what `--lr` takes.
 */
function joinNegativeValues(argv: string[], table: OptionTable): string[] {
  const takesValue = new Set(
    Object.entries(table)
      .filter(([, def]) => def.type !== 'boolean')
      .map(([key, def]) => `--${flagName(key, def)}`),
  );
  const result: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const next = argv[i + 1];
    if (takesValue.has(argv[i]) && next !== undefined && /^-(\d|\.\d|inf)/i.test(next)) {
      result.push(`${argv[i]}=${next}`);
      i++;
    } else {
      result.push(argv[i]);
    }
    if (argv[i] === '--') {
      result.push(...argv.slice(i + 1));
      break;
    }
  }
  return result;
}

/** A flag's text as a number: decimal only (`1e-3`, `.5`, `-2`); anything else (`0x10`, `""`, `1_000`) is NaN. */
function decimalNumber(text: string): number {
  return /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text) ? Number(text) : Number.NaN;
}

/**
 * What is wrong with a value for an option (`an integer of at least 1`), or null when nothing is: the one check of
 * flags (after {@link parseOptions} reads their text) and of settings files (`alexnet train --config`), so both
 * follow the table's rules: type, choices, integer, lower bound, finite. Null passes where the option may be null.
 */
export function valueProblem(def: OptionDef, value: unknown): string | null {
  if (value === null && ((def.type !== 'boolean' && def.default === null) || def.nullable)) return null;
  switch (def.type) {
    case 'boolean':
      return typeof value === 'boolean' ? null : 'a boolean';
    case 'number':
    case 'integer':
      return numberProblem(typeof value === 'number' ? value : Number.NaN, {
        integer: def.type === 'integer',
        min: def.min,
        above: def.above,
        max: def.max,
        below: def.below,
      });
    case 'integers': {
      const item = { integer: true, min: def.min };
      const fine = (n: unknown) => numberProblem(typeof n === 'number' ? n : Number.NaN, item) === null;
      const bound = def.min !== undefined ? ` of at least ${def.min}` : '';
      return Array.isArray(value) && value.length > 0 && value.every(fine) ? null : `a list of integers${bound}`;
    }
    case 'choice':
      return typeof value === 'string' && def.choices.includes(value) ? null : `one of ${def.choices.join(', ')}`;
    case 'string':
      return typeof value === 'string' ? null : 'a string';
  }
}

/** The table's defaults (`undefined` where an option has none). */
export function defaultsOf<T extends OptionTable>(table: T): Settings<T> {
  return Object.fromEntries(Object.entries(table).map(([key, def]) => [key, def.default])) as Settings<T>;
}

/** The given settings over the table's defaults. */
export function withDefaults<T extends OptionTable>(table: T, given: GivenSettings<T>): Settings<T> {
  return { ...defaultsOf(table), ...given } as Settings<T>;
}

/** What is wrong with a number for an option (`an integer of at least 1`), or null when nothing is. */
export function numberProblem(
  n: number,
  options: { integer?: boolean; min?: number; above?: number; max?: number; below?: number },
): string | null {
  if (
    Number.isFinite(n) &&
    // A safe integer: beyond 2^53 a number is no longer the one given (1e20 epochs, a seed that collides).
    (!options.integer || Number.isSafeInteger(n)) &&
    (options.min === undefined || n >= options.min) &&
    (options.above === undefined || n > options.above) &&
    (options.max === undefined || n <= options.max) &&
    (options.below === undefined || n < options.below)
  ) {
    return null;
  }
  const kind = options.integer ? 'an integer' : 'a number';
  const bounds = [
    options.min !== undefined ? `at least ${options.min}` : null,
    options.above !== undefined ? `above ${options.above}` : null,
    options.max !== undefined ? `at most ${options.max}` : null,
    options.below !== undefined ? `below ${options.below}` : null,
  ].filter((bound) => bound !== null);
  // "an integer of at least 1", "a number of at least 0 and below 1", but "a number above 0 and at most 16".
  const phrase = bounds.join(' and ');
  const text = bounds.length === 0 ? kind : `${kind}${phrase.startsWith('at ') ? ' of' : ''} ${phrase}`;
  return options.integer && Number.isInteger(n) && !Number.isSafeInteger(n)
    ? `${text}, within ±${Number.MAX_SAFE_INTEGER}`
    : text;
}
