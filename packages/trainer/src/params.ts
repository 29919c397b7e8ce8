import type * as tf from '@tensorflow/tfjs-core';

/** Anything with named trainable variables: a `@alexnet/layers` module, or your own object. */
export interface HasNamedParameters {
  namedParameters(): Array<[string, tf.Variable]>;
}

/** Parameters given by name: a module, a record of variables, or `[name, variable]` pairs. */
export type NamedParameters = HasNamedParameters | Record<string, tf.Variable> | Array<[string, tf.Variable]>;

/** `[name, variable]` pairs from any {@link NamedParameters}, in order; names must be unique. */
export function toNamedList(params: NamedParameters): Array<[string, tf.Variable]> {
  const list: Array<[string, tf.Variable]> = Array.isArray(params)
    ? params
    : typeof (params as HasNamedParameters).namedParameters === 'function'
      ? (params as HasNamedParameters).namedParameters()
      : Object.entries(params as Record<string, tf.Variable>);
  const seen = new Set<string>();
  for (const [name] of list) {
    if (seen.has(name)) throw new Error(`Parameter "${name}" is given twice`);
    seen.add(name);
  }
  return list;
}
