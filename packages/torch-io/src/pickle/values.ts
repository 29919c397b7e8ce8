/**
 * The values a pickle produces beyond plain JavaScript ones, and the hooks that resolve what the pickle names.
 */

/** A class or function a pickle refers to that no hook resolved: a name only, never looked up or run. */
export class PickleGlobal {
  constructor(
    /** The Python module, such as `torch._utils`. */
    readonly module: string,
    /** The name inside the module, such as `_rebuild_tensor_v2`. */
    readonly name: string,
  ) {}

  /** `module.name`. */
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** An object of a class no hook resolved: what it was called with and the state it was given (BUILD). */
export class PickleObject {
  /** The state BUILD gave it, or the items SETITEM(S) put into it (a `Map`); undefined when none. */
  state: unknown = undefined;

  constructor(
    /** The class it was made from. */
    readonly type: PickleGlobal,
    /** The arguments it was called with. */
    readonly args: unknown[],
  ) {}
}

/**
 * How to turn the classes, calls and persistent ids a pickle names into values. These hooks are the only way a
 * pickle's globals become callables: anything they do not resolve (beyond a few containers of Python's built-ins)
 * stays an inert {@link PickleGlobal}, so a malicious file cannot run code.
 */
export interface UnpickleHooks {
  /** A callable for `module.name`, or undefined to keep a {@link PickleGlobal}. */
  findClass?(module: string, name: string): ((...args: unknown[]) => unknown) | undefined;
  /** Resolves a persistent id (PyTorch uses them for tensor storages). */
  persistentLoad?(pid: unknown): unknown;
}
