import { FUSED_SGD_UPDATE } from '@alexnet/tfjs-extensions';
import * as tf from '@tensorflow/tfjs-core';
import type { Optimizer } from './optimizer.js';
import { type NamedParameters, toNamedList } from './params.js';

/** Hyperparameters of {@link SGD}, per group; names follow `torch.optim.SGD` in camel case. */
export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  /** Coupled L2 penalty: `weightDecay * w` is added to the gradient before momentum. */
  weightDecay?: number;
}

/** A parameter group: its parameters and any hyperparameters that differ from the optimiser's defaults. */
export interface ParamGroupInput extends Partial<SGDOptions> {
  params: NamedParameters;
}

/** A parameter group as the optimiser holds it. `lr` may be changed (schedulers do). */
export interface ParamGroup extends Required<SGDOptions> {
  readonly params: ReadonlyArray<[string, tf.Variable]>;
}

/**
 * The serialisable state of an {@link SGD} (an {@link OptimizerState}): momentum buffers by parameter name and the
 * groups' hyperparameters.
 */
export interface SGDState {
  state: Record<string, { momentumBuffer: tf.Tensor }>;
  paramGroups: Array<Required<SGDOptions> & { params: string[] }>;
}

/**
 * Stochastic gradient descent with PyTorch's exact update (`torch.optim.SGD`): for each parameter with a gradient,
 * `g = grad + weightDecay * w`; with momentum, `buf = g` on the first step and `buf = momentum * buf +
 * (1 - dampening) * g` after, then `g = nesterov ? g + momentum * buf : buf`; finally `w = w - lr * g`.
 * Everything runs on the backend with `assign`: no data is downloaded. An {@link Optimizer}, so {@link fit} and the
 * checkpoint functions take it.
 */
export class SGD implements Optimizer {
  readonly paramGroups: ParamGroup[];
  private readonly buffers = new Map<string, tf.Variable>();

  /**
   * `params`: a module, a record of variables, or groups `{ params, ...overrides }` (for example no weight decay on
   * biases). `defaults` apply to every group that does not override them.
   */
  constructor(params: NamedParameters | ParamGroupInput[], defaults: SGDOptions) {
    const groups = isGroupList(params) ? params : [{ params }];
    const seen = new Set<string>();
    this.paramGroups = groups.map((group, index) => {
      const options = validate({ ...defaults, ...stripParams(group) }, index);
      const list = toNamedList(group.params);
      for (const [name] of list) {
        if (seen.has(name)) throw new Error(`Parameter "${name}" appears in more than one parameter group`);
        seen.add(name);
      }
      return { ...options, params: list };
    });
  }

  /** The first group's learning rate. */
  get lr(): number {
    return this.paramGroups[0].lr;
  }

  /** Sets every group's learning rate. */
  set lr(value: number) {
    if (!(value >= 0)) throw new RangeError(`lr must be a non-negative number, got ${value}`);
    for (const group of this.paramGroups) group.lr = value;
  }

  /**
   * Applies one update. `grads` maps parameter names to gradients; parameters without one are left as they are.
   * On a backend that registers {@link FUSED_SGD_UPDATE} (`@alexnet/tfjs-backend-native`) each parameter is updated
   * in one native pass; elsewhere with TF.js's element-wise ops. Both follow PyTorch's rule.
   */
  step(grads: Record<string, tf.Tensor>): void {
    const fused = tf.getKernel(FUSED_SGD_UPDATE, tf.getBackend()) !== undefined;
    tf.tidy(() => {
      for (const group of this.paramGroups) {
        for (const [name, variable] of group.params) {
          const grad = grads[name];
          if (!grad) continue;
          if (fused) this.fusedStep(name, variable, grad, group);
          else this.opsStep(name, variable, grad, group);
        }
      }
    });
  }

  private opsStep(name: string, variable: tf.Variable, grad: tf.Tensor, group: ParamGroup): void {
    const { lr, momentum, dampening, nesterov, weightDecay } = group;
    let g = weightDecay !== 0 ? tf.add(grad, tf.mul(variable, weightDecay)) : grad;
    if (momentum !== 0) {
      let buffer = this.buffers.get(name);
      if (!buffer) {
        buffer = tf.variable(g, false);
        this.buffers.set(name, buffer);
      } else {
        buffer.assign(tf.add(tf.mul(buffer, momentum), dampening === 0 ? g : tf.mul(g, 1 - dampening)));
      }
      g = nesterov ? tf.add(g, tf.mul(buffer, momentum)) : buffer;
    }
    variable.assign(tf.sub(variable, tf.mul(g, lr)));
  }

  private fusedStep(name: string, variable: tf.Variable, grad: tf.Tensor, group: ParamGroup): void {
    const { lr, momentum, dampening, nesterov, weightDecay } = group;
    let buffer = this.buffers.get(name);
    const first = momentum !== 0 && !buffer;
    if (first) {
      // A fresh buffer the kernel owns alone, so it is written in place (it sets it to the gradient, as PyTorch).
      buffer = tf.variable(tf.zerosLike(variable), false);
      this.buffers.set(name, buffer);
    }
    const inputs: tf.NamedTensorMap = { param: variable, grad: tf.cast(grad, 'float32') };
    if (momentum !== 0 && buffer) inputs.buffer = buffer;
    const attrs = { lr, momentum, dampening, weightDecay, nesterov, first };
    const outputs = tf.engine().runKernel(FUSED_SGD_UPDATE, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    // Storage shared with another tensor is not updated in place: the kernel returns the new values instead.
    if (outputs.length > 0) {
      variable.assign(outputs[0]);
      if (buffer && outputs[1]) buffer.assign(outputs[1]);
    }
  }

  /** Momentum buffers (new tensors, the caller disposes them) and group hyperparameters. */
  stateDict(): SGDState {
    const state: SGDState['state'] = {};
    for (const [name, buffer] of this.buffers) state[name] = { momentumBuffer: tf.clone(buffer) };
    return {
      state,
      paramGroups: this.paramGroups.map(({ params, ...options }) => ({ ...options, params: params.map(([n]) => n) })),
    };
  }

  /** Restores a {@link SGD.stateDict}. The groups must hold the same parameters; buffer shapes are checked. */
  loadStateDict(saved: SGDState): void {
    if (saved.paramGroups.length !== this.paramGroups.length) {
      throw new Error(
        `Optimizer state has ${saved.paramGroups.length} parameter groups, the optimizer ${this.paramGroups.length}`,
      );
    }
    const shapes = new Map<string, number[]>();
    saved.paramGroups.forEach((group, i) => {
      const names = this.paramGroups[i].params.map(([n]) => n);
      if (group.params.join('\n') !== names.join('\n')) {
        throw new Error(`Parameter group ${i} of the optimizer state holds other parameters than the optimizer's`);
      }
      for (const [name, variable] of this.paramGroups[i].params) shapes.set(name, variable.shape);
    });
    for (const [name, entry] of Object.entries(saved.state)) {
      const { momentumBuffer } = entry;
      if (!momentumBuffer) {
        throw new Error(
          `Optimizer state of "${name}" holds ${Object.keys(entry).join(', ') || 'nothing'}, not SGD's momentumBuffer`,
        );
      }
      const shape = shapes.get(name);
      if (!shape) throw new Error(`Optimizer state has a momentum buffer for unknown parameter "${name}"`);
      if (shape.join() !== momentumBuffer.shape.join()) {
        throw new Error(`Momentum buffer of "${name}" has shape [${momentumBuffer.shape}], the parameter [${shape}]`);
      }
    }
    saved.paramGroups.forEach(({ params: _params, ...options }, i) => {
      Object.assign(this.paramGroups[i], validate(options, i));
    });
    for (const buffer of this.buffers.values()) buffer.dispose();
    this.buffers.clear();
    for (const [name, { momentumBuffer }] of Object.entries(saved.state)) {
      this.buffers.set(name, tf.variable(tf.cast(momentumBuffer, 'float32'), false));
    }
  }

  /** Frees the momentum buffers. */
  dispose(): void {
    for (const buffer of this.buffers.values()) buffer.dispose();
    this.buffers.clear();
  }
}

function isGroupList(params: NamedParameters | ParamGroupInput[]): params is ParamGroupInput[] {
  return Array.isArray(params) && params.length > 0 && !Array.isArray(params[0]) && 'params' in (params[0] as object);
}

function stripParams(group: ParamGroupInput | { params: NamedParameters }): Partial<SGDOptions> {
  const { params: _params, ...options } = group as ParamGroupInput;
  return options;
}

function validate(options: SGDOptions, group: number): Required<SGDOptions> {
  const resolved = {
    lr: options.lr,
    momentum: options.momentum ?? 0,
    dampening: options.dampening ?? 0,
    nesterov: options.nesterov ?? false,
    weightDecay: options.weightDecay ?? 0,
  };
  const where = group > 0 ? ` (parameter group ${group})` : '';
  for (const key of ['lr', 'momentum', 'weightDecay'] as const) {
    if (!(typeof resolved[key] === 'number' && resolved[key] >= 0)) {
      throw new RangeError(`SGD ${key} must be a non-negative number${where}, got ${resolved[key]}`);
    }
  }
  if (resolved.nesterov && (resolved.momentum <= 0 || resolved.dampening !== 0)) {
    throw new Error(`Nesterov momentum requires a momentum and zero dampening${where}`);
  }
  return resolved;
}
