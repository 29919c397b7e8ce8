/**
 * A pickled value (a dict key, a persistent id's part) as text: strings as they are, numbers as digits, a short
 * tuple of those as its items, anything else (a tuple that may nest without end) by its kind: never by a recursive
 * `String()`, which a deeply nested tuple would take past the stack's end.
 */
export function keyName(key: unknown): string {
  if (typeof key === 'string') return key;
  if (typeof key === 'number' || typeof key === 'bigint' || typeof key === 'boolean') return String(key);
  if (Array.isArray(key)) {
    const flat = key.length <= 8 && key.every((item) => typeof item === 'number' || typeof item === 'string');
    return flat ? `(${key.join(', ')})` : `(a tuple of ${key.length})`;
  }
  return `(${key === null ? 'None' : typeof key})`;
}
