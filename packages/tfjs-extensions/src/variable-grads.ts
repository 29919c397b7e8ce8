import * as tf from '@tensorflow/tfjs-core';
import { registerGradients } from './gradients/register.js';

/**
 * `tf.variableGrads` with PyTorch's memory profile: the backward pass frees each intermediate gradient once the
 * operation that consumed it has been differentiated, and each operation's saved forward tensors once its gradient
 * has been computed.
 *
 * TF.js keeps both until the whole backward pass ends, so at its peak a training step holds every activation and
 * every activation's gradient at once: for AlexNet at batch 128 about 0.8 GB more than PyTorch, whose autograd frees
 * them as it goes. The values are the same: the same gradient functions run in the same order on the same inputs.
 *
 * It first calls {@link registerGradients} (idempotent), so that `f`'s forward pass runs under this package's
 * gradients (a `Conv2d` of `@alexnet/layers` then records the `FusedConv2D` kernel whose gradient skips the image's).
 *
 * Engine internal: this walks TF.js's tape itself (`engine.state.activeTape`, `startTape` / `endTape`, `scopedRun`),
 * which TF.js does not export; where the engine does not look as expected (another TF.js version), it is
 * `tf.variableGrads`. `internals.test.ts` checks those fields.
 */
export function variableGrads(
  f: () => tf.Scalar,
  varList: tf.Variable[],
): { value: tf.Scalar; grads: Record<string, tf.Tensor> } {
  registerGradients();
  const engine = tf.engine() as unknown as EngineInternals;
  if (!hasTapeInternals(engine) || engine.state.gradientDepth !== 0) return tf.variableGrads(f, varList);

  const value = engine.scopedRun(
    () => engine.startTape(),
    () => engine.endTape(),
    () => engine.tidy('forward', f),
  );
  if (!(value instanceof tf.Tensor) || value.rank !== 0) {
    releaseTape(engine);
    throw new Error('variableGrads: f must return a scalar tensor');
  }
  const tape = engine.state.activeTape as TapeNode[];
  try {
    const grads = tf.tidy('backward', () => {
      const byId = backpropagate(tape, varList, value);
      const named: Record<string, tf.Tensor> = {};
      for (const v of varList) {
        const g = byId.get(v.id);
        if (g == null) {
          throw new Error(`variableGrads: ${v.name} does not affect the loss (no gradient path from it)`);
        }
        named[v.name] = g;
      }
      return named;
    });
    return { value, grads };
  } catch (error) {
    value.dispose();
    throw error;
  } finally {
    releaseTape(engine);
  }
}

interface TapeNode {
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  saved?: tf.Tensor[];
  gradient?: (dys: tf.Tensor[]) => Record<string, () => tf.Tensor>;
}

interface EngineInternals {
  state: { gradientDepth: number; activeTape: TapeNode[] | null };
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  startTape(): void;
  endTape(): void;
  tidy<T extends tf.TensorContainer>(name: string, f: () => T): T;
}

function hasTapeInternals(engine: Partial<EngineInternals>): engine is EngineInternals {
  return (
    typeof engine.scopedRun === 'function' &&
    typeof engine.startTape === 'function' &&
    typeof engine.endTape === 'function' &&
    typeof engine.state?.gradientDepth === 'number'
  );
}

/** What TF.js does once gradients are taken: the saved tensors of every node go, and so does the tape. */
function releaseTape(engine: EngineInternals): void {
  for (const node of engine.state.activeTape ?? []) tf.dispose(node.saved ?? []);
  engine.state.activeTape = null;
}

/**
 * Reverse-mode pass over the nodes between `xs` and `y`, newest first. Returns each x's gradient by tensor id.
 * Gradients that are not an x's are disposed as soon as nothing can read them again.
 */
function backpropagate(tape: TapeNode[], xs: tf.Tensor[], y: tf.Tensor): Map<number, tf.Tensor> {
  const nodes = nodesBetween(tape, xs, y);
  const wanted = new Set(xs.map((x) => x.id));
  const gradOf = new Map<number, tf.Tensor>([[y.id, tf.onesLike(y)]]);
  /** Tensors that are some id's gradient now: never dispose one of those. */
  const live = () => new Set(gradOf.values());

  for (let i = nodes.length - 1; i >= 0; i--) {
    const { node, inputs } = nodes[i];
    if (!node.gradient) throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
    const dys = node.outputs.map((o) => gradOf.get(o.id) ?? null);
    const gradients = node.gradient(dys as tf.Tensor[]);
    for (const [name, x] of inputs) {
      const compute = gradients[name];
      if (!compute) throw new Error(`Cannot backprop through input ${name} of ${node.kernelName}.`);
      const dx = tf.tidy(compute);
      if (dx.dtype !== 'float32' || !tf.util.arraysEqual(dx.shape, x.shape)) {
        throw new Error(
          `Gradient of ${node.kernelName}'s input ${name} is ${dx.dtype} ${JSON.stringify(dx.shape)}, ` +
            `expected float32 ${JSON.stringify(x.shape)}`,
        );
      }
      const previous = gradOf.get(x.id);
      if (previous == null) {
        gradOf.set(x.id, dx);
      } else {
        gradOf.set(x.id, tf.add(previous, dx));
        const stillUsed = live();
        for (const t of [previous, dx]) if (!stillUsed.has(t) && !dys.includes(t)) t.dispose();
      }
    }
    // This node's outputs are done with: their gradients (unless an x's, or passed on unchanged) and its saved
    // forward tensors.
    for (const o of node.outputs) if (!wanted.has(o.id)) gradOf.delete(o.id);
    const stillUsed = live();
    for (const dy of dys) if (dy && !stillUsed.has(dy)) dy.dispose();
    tf.dispose(node.saved ?? []);
    node.saved = [];
  }
  return gradOf;
}

/**
 * The tape nodes on a path from some x to y, each with only those inputs that depend on an x (the others need no
 * gradient), in tape order.
 */
function nodesBetween(
  tape: TapeNode[],
  xs: tf.Tensor[],
  y: tf.Tensor,
): Array<{ node: TapeNode; inputs: Array<[string, tf.Tensor]> }> {
  const fromX = new Set(xs.map((x) => x.id));
  const reachedFromX = new Array<boolean>(tape.length).fill(false);
  tape.forEach((node, i) => {
    if (Object.values(node.inputs).some((t) => fromX.has(t.id))) {
      reachedFromX[i] = true;
      for (const o of node.outputs) fromX.add(o.id);
    }
  });
  const toY = new Set([y.id]);
  const kept: Array<{ node: TapeNode; inputs: Array<[string, tf.Tensor]> }> = [];
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i];
    if (!reachedFromX[i] || !node.outputs.some((o) => toY.has(o.id))) continue;
    const inputs = Object.entries(node.inputs).filter(([, t]) => fromX.has(t.id));
    for (const [, t] of inputs) toY.add(t.id);
    kept.push({ node, inputs });
  }
  return kept.reverse();
}
