import * as tf from '@tensorflow/tfjs-core';
import type { Parameter } from './parameter.js';
import { type ShapeMismatch, StateDictError } from './state-dict-error.js';

/** Tensors keyed by PyTorch-style dotted names (`features.0.weight`), in PyTorch's layouts. */
export type StateDict = Record<string, tf.Tensor>;

/** Options of {@link Module.loadStateDict}. */
export interface LoadStateDictOptions {
  /** Fail when a parameter is missing from the dict or the dict has a key the module lacks (default true). */
  strict?: boolean;
}

/** What {@link Module.loadStateDict} did not match; both empty after a strict load. */
export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/** A shape without the batch dimension, in NHWC terms: `[height, width, channels]` or `[features]`. */
export type Shape = readonly number[];

/**
 * The base of every layer and model: a tree of named child modules holding named parameters, as in PyTorch.
 *
 * Children run in the order they were registered unless a subclass overrides {@link Module.forward}; parameter
 * names are the dotted path through the tree. Activations are NHWC tensors.
 */
export abstract class Module {
  /** Whether the module is in training mode (dropout active). Set with {@link Module.train} / {@link Module.eval}. */
  training = true;
  private readonly childModules = new Map<string, Module>();
  private readonly ownParameters = new Map<string, Parameter>();

  /** The layer's class name, used in summaries and error messages (a literal in each layer, so minifiers keep it). */
  get typeName(): string {
    return this.constructor.name;
  }

  /** Runs the module. The default runs the children one after another. */
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      let y = x;
      for (const child of this.childModules.values()) y = child.forward(y);
      return y;
    });
  }

  /**
   * The output shape (without batch) for an input shape (without batch), computed without running the module.
   * Throws when the input cannot pass through it. The default composes the children in order.
   */
  outputShape(inputShape: Shape): number[] {
    let shape: number[] = [...inputShape];
    for (const child of this.childModules.values()) shape = child.outputShape(shape);
    return shape;
  }

  /** Multiply-adds for one input of this shape (without batch); containers add up their children's. */
  multiplyAdds(inputShape: Shape): number {
    let shape: Shape = inputShape;
    let total = 0;
    for (const child of this.childModules.values()) {
      total += child.multiplyAdds(shape);
      shape = child.outputShape(shape);
    }
    return total;
  }

  /** Adds a child under `name` and returns it. */
  protected registerModule<M extends Module>(name: string, module: M): M {
    assertName(name, this.childModules.has(name) || this.ownParameters.has(name));
    this.childModules.set(name, module);
    return module;
  }

  /** Adds a parameter under `name` and returns it. */
  protected registerParameter(name: string, parameter: Parameter): Parameter {
    assertName(name, this.childModules.has(name) || this.ownParameters.has(name));
    this.ownParameters.set(name, parameter);
    return parameter;
  }

  /** The direct children with their names. */
  namedChildren(): Array<[string, Module]> {
    return [...this.childModules.entries()];
  }

  /** This module and every descendant, depth first, with dotted names (this module's name is `prefix`). */
  namedModules(prefix = ''): Array<[string, Module]> {
    const result: Array<[string, Module]> = [[prefix, this]];
    for (const [name, child] of this.childModules) {
      result.push(...child.namedModules(prefix ? `${prefix}.${name}` : name));
    }
    return result;
  }

  /** Every parameter with its dotted name, in registration order, with its layout information. */
  namedParameterEntries(prefix = ''): Array<[string, Parameter]> {
    const result: Array<[string, Parameter]> = [];
    for (const [name, parameter] of this.ownParameters) result.push([join(prefix, name), parameter]);
    for (const [name, child] of this.childModules) result.push(...child.namedParameterEntries(join(prefix, name)));
    return result;
  }

  /** Every trainable variable with its dotted name (`features.0.weight`), in registration order. */
  namedParameters(): Array<[string, tf.Variable]> {
    return this.namedParameterEntries().map(([name, p]) => [name, p.variable]);
  }

  /** Every trainable variable, in registration order. */
  parameters(): tf.Variable[] {
    return this.namedParameterEntries().map(([, p]) => p.variable);
  }

  /** The number of scalar parameters. */
  numParameters(): number {
    return this.parameters().reduce((sum, v) => sum + v.size, 0);
  }

  /** Sets training mode on this module and all descendants. */
  train(mode = true): this {
    for (const [, module] of this.namedModules()) module.training = mode;
    return this;
  }

  /** Sets evaluation mode (dropout off) on this module and all descendants. */
  eval(): this {
    return this.train(false);
  }

  /** New tensors of every parameter in PyTorch's names and layouts. The caller disposes them. */
  stateDict(): StateDict {
    const dict: StateDict = {};
    for (const [name, parameter] of this.namedParameterEntries()) {
      dict[name] = parameter.exportTensor(parameter.variable);
    }
    return dict;
  }

  /**
   * Converts tensors keyed by parameter name from the stored layout to PyTorch's (for example gradients from
   * `tf.variableGrads`). Returns new tensors; unknown names throw.
   */
  toTorchLayout(named: Record<string, tf.Tensor>): StateDict {
    const parameters = new Map(this.namedParameterEntries());
    const dict: StateDict = {};
    for (const [name, tensor] of Object.entries(named)) {
      const parameter = parameters.get(name);
      if (!parameter) throw new Error(`${this.typeName} has no parameter named "${name}"`);
      dict[name] = parameter.exportTensor(tensor);
    }
    return dict;
  }

  /**
   * Copies values from a state dict (PyTorch names and layouts) into the parameters. Shapes are checked before
   * anything is written, so a failed load changes nothing. With `strict` (the default) missing and unexpected keys
   * are errors that name them.
   *
   * @throws {@link StateDictError} listing the missing and unexpected keys and the mismatched shapes.
   */
  loadStateDict(dict: StateDict, options: LoadStateDictOptions = {}): LoadStateDictResult {
    const strict = options.strict ?? true;
    const entries = this.namedParameterEntries();
    const known = new Set(entries.map(([name]) => name));
    const missingKeys = entries.map(([name]) => name).filter((name) => !(name in dict));
    const unexpectedKeys = Object.keys(dict).filter((name) => !known.has(name));
    const shapeMismatches: ShapeMismatch[] = [];
    for (const [name, parameter] of entries) {
      const value = dict[name];
      if (!value) continue;
      const expected = parameter.torchShape;
      if (!sameShape(value.shape, expected))
        shapeMismatches.push({ name, shape: value.shape, expected: [...expected] });
    }
    const failed = strict && (missingKeys.length > 0 || unexpectedKeys.length > 0);
    if (failed || shapeMismatches.length > 0) {
      throw new StateDictError(this.typeName, strict ? missingKeys : [], strict ? unexpectedKeys : [], shapeMismatches);
    }
    for (const [name, parameter] of entries) {
      const value = dict[name];
      if (!value) continue;
      tf.tidy(() => parameter.variable.assign(parameter.importTensor(tf.cast(value, 'float32'))));
    }
    return { missingKeys, unexpectedKeys };
  }

  /** Frees every parameter's memory. The module is unusable afterwards. */
  dispose(): void {
    for (const [, parameter] of this.namedParameterEntries()) parameter.variable.dispose();
  }
}

function join(prefix: string, name: string): string {
  return prefix ? `${prefix}.${name}` : name;
}

function assertName(name: string, taken: boolean): void {
  if (!name || name.includes('.')) throw new Error(`Invalid module or parameter name "${name}"`);
  if (taken) throw new Error(`Name "${name}" is already registered`);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
