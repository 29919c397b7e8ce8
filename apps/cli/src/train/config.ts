import { readFileSync, statSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { UsageError } from '../errors.js';
import { defaultsOf, type GivenSettings, valueProblem } from '../options.js';
import { TRAIN_OPTIONS, type TrainConfig } from './options.js';
import { EMBEDDED, RECIPES } from './recipes.js';

/** The seed article's settings: what `alexnet train` does unless told otherwise. */
export const DEFAULTS: TrainConfig = defaultsOf(TRAIN_OPTIONS);

/** The settings given as flags. */
export type TrainFlags = GivenSettings<typeof TRAIN_OPTIONS>;

/**
 * The settings of a new run, lowest first: the defaults, the recipe, the recipe's rules for the model, the embedded
 * demo's sizes (without --data), the `--config` file, the flags.
 */
export function resolveConfig(flags: TrainFlags, configFile?: string): TrainConfig {
  const file = configFile ? readConfigFile(configFile) : {};
  const recipeName = flags.recipe ?? file.recipe ?? DEFAULTS.recipe;
  const recipe = RECIPES[recipeName];
  const model = flags.model ?? file.model ?? recipe.settings.model ?? DEFAULTS.model;
  const data = flags.data ?? file.data ?? null;
  return {
    ...DEFAULTS,
    ...recipe.settings,
    ...recipe.byModel?.[model],
    ...(data ? {} : EMBEDDED),
    ...file,
    ...flags,
    recipe: recipeName,
  };
}

/**
 * The settings of a resumed run: its own, with this command's flags on top (for example more --epochs). The
 * recorded settings are checked as a config file's are (a hand-edited or damaged checkpoint is named); entries that
 * are not settings (`backendUsed`) are left out.
 */
export function resumedConfig(saved: Record<string, unknown>, flags: TrainFlags, resume: string): TrainConfig {
  const recorded = checkedSettings(saved, `${resume}: the run's recorded setting`, { unknown: 'skip' });
  return { ...DEFAULTS, ...recorded, ...flags, resume };
}

/**
 * Reads a `--config` YAML or JSON file into settings, checking each name and value by the rules of the flags
 * ({@link valueProblem}): an unknown name or a bad value is a usage error naming the file and the key.
 */
export function readConfigFile(path: string): Partial<TrainConfig> {
  let text: string;
  try {
    // A folder or a FIFO is named as such: reading a FIFO would wait for a writer for ever.
    const stats = statSync(path);
    if (!stats.isFile())
      throw new UsageError(`--config ${path} is ${stats.isDirectory() ? 'a folder' : 'not a regular file'}`);
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`Config file not found: ${path}`);
  }
  let parsed: unknown;
  try {
    // Warnings (an unresolved tag such as !!js/function) are errors too: `parse` printed them, with the text, on
    // stderr beside the error, and read the value as a plain string.
    const document = parseDocument(text);
    const problem = document.errors[0] ?? document.warnings[0];
    if (problem) throw problem;
    parsed = document.toJS();
  } catch (error) {
    const message = (error as Error).message.split('\n')[0].replace(/:$/, '');
    throw new UsageError(`${path} is not valid YAML: ${message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UsageError(`${path} must hold a mapping of settings (model: alexnet_v2, epochs: 90, ...)`);
  }
  return checkedSettings(parsed as Record<string, unknown>, `${path}:`, { unknown: 'error' });
}

/**
 * Settings by name (kebab or camel case), each checked by its flag's rules; an error starts with `source` and
 * names the key. Names that are no setting are an error, or with `unknown: 'skip'` left out.
 */
function checkedSettings(
  entries: Record<string, unknown>,
  source: string,
  options: { unknown: 'error' | 'skip' },
): Partial<TrainConfig> {
  const result: Record<string, unknown> = {};
  const given = new Map<string, string>();
  for (const [rawKey, value] of Object.entries(entries)) {
    const key = rawKey.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (!Object.hasOwn(TRAIN_OPTIONS, key)) {
      if (options.unknown === 'skip') continue;
      throw new UsageError(`${source} unknown setting "${rawKey}"`);
    }
    // `batch-size` and `batchSize` name one setting: the later one would replace the other without a word.
    const earlier = given.get(key);
    if (earlier !== undefined)
      throw new UsageError(`${source} "${earlier}" and "${rawKey}" are one setting, given twice`);
    given.set(key, rawKey);
    const problem = valueProblem(TRAIN_OPTIONS[key as keyof typeof TRAIN_OPTIONS], value);
    if (problem !== null) throw new UsageError(`${source} "${rawKey}" must be ${problem}, got ${shown(value)}`);
    result[key] = value;
  }
  return result as Partial<TrainConfig>;
}

/** A settings file's value as its YAML reads: `.inf` and `.nan` for the numbers JSON has no words for. */
function shown(value: unknown): string {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return Number.isNaN(value) ? '.nan' : value > 0 ? '.inf' : '-.inf';
  }
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
