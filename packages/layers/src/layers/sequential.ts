import { Module } from '../module.js';

/**
 * Children run in order, as `torch.nn.Sequential`. An array names them `0`, `1`, ... (PyTorch's state-dict
 * indices); a record keeps its keys.
 */
export class Sequential extends Module {
  override get typeName(): string {
    return 'Sequential';
  }

  constructor(modules: readonly Module[] | Readonly<Record<string, Module>> = []) {
    super();
    const entries = Array.isArray(modules)
      ? modules.map((m, i) => [String(i), m] as const)
      : Object.entries(modules as Record<string, Module>);
    for (const [name, module] of entries) this.registerModule(name, module);
  }

  /** The child at position `index`. */
  at(index: number): Module {
    const entry = this.namedChildren()[index];
    if (!entry) throw new RangeError(`Sequential has no child at index ${index}`);
    return entry[1];
  }

  /** The number of children. */
  get length(): number {
    return this.namedChildren().length;
  }
}
