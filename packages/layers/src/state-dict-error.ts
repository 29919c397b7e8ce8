/** A parameter whose tensor in a state dict has another shape than the module's. */
export interface ShapeMismatch {
  name: string;
  /** The shape in the state dict. */
  shape: number[];
  /** The shape the module's parameter has (PyTorch's layout). */
  expected: number[];
}

/** How many keys of each kind the message names before "and K more". */
const NAMED = 10;

/**
 * A state dict that does not fit a module, thrown by {@link Module.loadStateDict}: every key it lacks, every key
 * the module lacks, every shape that differs. Its message says what PyTorch's "Error(s) in loading state_dict"
 * says, one line a kind (one a mismatched shape), naming the first ten of each and counting the rest, so a file
 * with a million stray keys still gives a short message.
 */
export class StateDictError extends Error {
  constructor(
    /** The module's type name (`AlexNet`). */
    readonly moduleName: string,
    /** The module's parameters the state dict lacks (strict loads only). */
    readonly missingKeys: string[],
    /** The state dict's keys the module lacks (strict loads only). */
    readonly unexpectedKeys: string[],
    readonly shapeMismatches: ShapeMismatch[],
  ) {
    const lines: string[] = [];
    if (missingKeys.length > 0) lines.push(`missing keys: ${bounded(missingKeys.map(shown))}`);
    if (unexpectedKeys.length > 0) lines.push(`unexpected keys: ${bounded(unexpectedKeys.map(shown))}`);
    for (const { name, shape, expected } of shapeMismatches.slice(0, NAMED)) {
      lines.push(
        `${shown(name)}: shape [${shape.join(', ')}] in the state dict, [${expected.join(', ')}] in the model`,
      );
    }
    if (shapeMismatches.length > NAMED) lines.push(`and ${shapeMismatches.length - NAMED} more mismatched shapes`);
    super(`Error(s) in loading state dict for ${moduleName}:\n  ${lines.join('\n  ')}`);
    this.name = 'StateDictError';
  }
}

function bounded(names: string[]): string {
  if (names.length <= NAMED) return names.join(', ');
  return `${names.slice(0, NAMED).join(', ')}, and ${names.length - NAMED} more`;
}

/** A key as the message shows it: control characters replaced (one line stays one line), long names cut. */
function shown(name: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: replacing them is the point
  const clean = name.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > 120 ? `${clean.slice(0, 117)}...` : clean;
}
