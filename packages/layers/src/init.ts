import { defaultGenerator, type RandomGenerator } from './random.js';

/** What an initialiser knows about the tensor it fills. Shapes are in PyTorch's layout. */
export interface InitContext {
  /** The shape in PyTorch's layout (conv OIHW, linear [out, in], bias [out]). */
  shape: readonly number[];
  /** Inputs feeding one output unit: in-channels x kernel area for a conv, in-features for a linear layer. */
  fanIn: number;
  /** The random generator to draw from. */
  rng: RandomGenerator;
}

/** Produces the initial values of a parameter, in PyTorch's layout, row-major. */
export type Initializer = (context: InitContext) => Float32Array;

function sizeOf(context: InitContext): number {
  return context.shape.reduce((a, b) => a * b, 1);
}

/** Every value `value`. */
export function constant(value: number): Initializer {
  return (context) => new Float32Array(sizeOf(context)).fill(value);
}

/** Values from N(mean, std²); the 2012 paper uses `normal(0.01)` for every weight. */
export function normal(std: number, mean = 0): Initializer {
  return (context) => context.rng.fillNormal(new Float32Array(sizeOf(context)), mean, std);
}

/** Values from U(low, high). */
export function uniform(low: number, high: number): Initializer {
  return (context) => context.rng.fillUniform(new Float32Array(sizeOf(context)), low, high);
}

/**
 * Kaiming (He) uniform, as `torch.nn.init.kaiming_uniform_` with a leaky-ReLU gain: U(-b, b) with
 * b = sqrt(6 / ((1 + a²) fanIn)). PyTorch's conv and linear layers use a = sqrt(5).
 */
export function kaimingUniform(a = Math.sqrt(5)): Initializer {
  return (context) => {
    const bound = Math.sqrt(6 / ((1 + a * a) * context.fanIn));
    return context.rng.fillUniform(new Float32Array(sizeOf(context)), -bound, bound);
  };
}

/**
 * Kaiming (He) normal, as `torch.nn.init.kaiming_normal_(mode='fan_in', nonlinearity='relu')`: N(0, 2 / fanIn),
 * which keeps activation variance steady through ReLU layers, so deep nets start learning at once.
 */
export function kaimingNormal(): Initializer {
  return (context) => context.rng.fillNormal(new Float32Array(sizeOf(context)), 0, Math.sqrt(2 / context.fanIn));
}

/** PyTorch's default bias of conv and linear layers: U(-1/sqrt(fanIn), 1/sqrt(fanIn)). */
export function fanInUniform(): Initializer {
  return (context) => {
    const bound = context.fanIn > 0 ? 1 / Math.sqrt(context.fanIn) : 0;
    return context.rng.fillUniform(new Float32Array(sizeOf(context)), -bound, bound);
  };
}

/** How to initialise a layer's weight and bias. */
export interface InitScheme {
  weight: Initializer;
  bias: Initializer;
}

/** PyTorch's defaults for `nn.Conv2d` and `nn.Linear` (Kaiming-uniform with a = sqrt(5), fan-in uniform bias). */
export function pytorchInit(): InitScheme {
  return { weight: kaimingUniform(Math.sqrt(5)), bias: fanInUniform() };
}

/** He initialisation with zero biases (torchvision's choice for VGG, common for training from scratch). */
export function kaimingInit(): InitScheme {
  return { weight: kaimingNormal(), bias: constant(0) };
}

/** The 2012 paper's scheme for one layer: weights N(0, 0.01), bias a constant (1 or 0 in the paper). */
export function paperInit(bias: 0 | 1 | number = 0): InitScheme {
  return { weight: normal(0.01), bias: constant(bias) };
}

/** Runs an initialiser with the default generator when none is given. */
export function runInitializer(
  init: Initializer,
  shape: readonly number[],
  fanIn: number,
  rng: RandomGenerator = defaultGenerator,
): Float32Array {
  return init({ shape, fanIn, rng });
}
