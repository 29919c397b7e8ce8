/**
 * The allow-list of Python built-ins a pickle may call: the few containers ordinary checkpoints name. Each one
 * builds a plain value; nothing else of Python's is ever resolved.
 */
export function builtin(module: string, name: string): ((...args: unknown[]) => unknown) | undefined {
  switch (`${module}.${name}`) {
    case 'collections.OrderedDict':
    case 'builtins.dict':
    case '__builtin__.dict':
      return () => new Map();
    case 'builtins.set':
    case '__builtin__.set':
      return (items?: unknown) => new Set(items as unknown[]);
    case 'builtins.list':
    case '__builtin__.list':
      return (items?: unknown) => [...((items as unknown[]) ?? [])];
    case 'builtins.tuple':
    case '__builtin__.tuple':
      return (items?: unknown) => [...((items as unknown[]) ?? [])];
    case 'builtins.bytearray':
    case '__builtin__.bytearray':
      return (data?: unknown) => (data instanceof Uint8Array ? data : new Uint8Array());
    case '_codecs.encode':
      // Protocol 2 pickles bytes as _codecs.encode(latin-1 text, 'latin1').
      return (text: unknown) => Uint8Array.from(String(text), (ch) => ch.charCodeAt(0));
    default:
      return undefined;
  }
}
