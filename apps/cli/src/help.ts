import { flagName, type OptionDef, type OptionTable } from './options.js';

/** Where the help column starts: `  --flag <value>` is padded to this width. */
const HELP_COLUMN = 26;

/**
 * A command's `--help`: its usage line, a description, then one line per option of its tables (in table order),
 * each with its default.
 */
export function helpText(parts: { usage: string; description: string; options: OptionTable[] }): string {
  const rows = parts.options.flatMap((table) =>
    Object.entries(table)
      .filter(([, def]) => !def.hidden)
      .map(([key, def]) => optionLine(key, def)),
  );
  return `${parts.usage}\n\n${parts.description.trim()}\n${rows.length ? `\n${rows.join('\n')}\n` : ''}`;
}

function optionLine(key: string, def: OptionDef): string {
  const value = def.type === 'boolean' ? '' : ` ${def.value ?? (def.type === 'choice' ? '<name>' : '<n>')}`;
  const flag = `  ${def.short ? `-${def.short}, ` : ''}--${flagName(key, def)}${value}`;
  const choices = def.type === 'choice' ? `: ${def.choices.join(' | ')}` : '';
  const shown = defaultText(def);
  const text = `${def.help}${choices}${shown === null ? '' : ` (default ${shown})`}`;
  return flag.length < HELP_COLUMN - 1 ? `${flag.padEnd(HELP_COLUMN)}${text}` : `${flag}  ${text}`;
}

/** The default as `--help` shows it, or null where there is none to show. */
function defaultText(def: OptionDef): string | null {
  if (def.defaultText !== undefined) return def.defaultText;
  if (def.type === 'boolean' || def.default === undefined || def.default === null) return null;
  return Array.isArray(def.default) ? def.default.join(',') : String(def.default);
}

/** Prints a command's help; its exit code is 0. */
export function printHelp(text: string): number {
  process.stdout.write(text);
  return 0;
}
