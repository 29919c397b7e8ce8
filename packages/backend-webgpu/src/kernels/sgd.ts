import { FUSED_SGD_UPDATE, type FusedSgdAttrs } from '@alexnet/tfjs-extensions';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { elementWiseProgram } from './element-wise-program.js';
import { forgetDownloadedValues, type ProgramUniforms, runProgram } from './webgpu-internals.js';

const UNIFORMS = 'lr : f32, momentum : f32, dampening : f32, weightDecay : f32,';

/** How one parameter's update is compiled: what changes the WGSL text, not the hyperparameters' values. */
interface UpdateShape {
  momentum: boolean;
  nesterov: boolean;
  decay: boolean;
  first: boolean;
  /** Whether the output is the tensor being updated (its old value read from `result`) or a new one. */
  inPlace: boolean;
}

function key(name: string, s: UpdateShape): string {
  return `alexnet_sgd_${name}_${+s.momentum}${+s.nesterov}${+s.decay}${+s.first}${+s.inPlace}`;
}

/** The decayed gradient `g + weightDecay * p` (PyTorch adds no decay term at all when it is 0). */
function decayedGradient(s: UpdateShape, param: string): string {
  return s.decay ? `G[index] + uniforms.weightDecay * ${param}` : 'G[index]';
}

/**
 * The momentum buffer's update: `buf = momentum * buf + (1 - dampening) * g`, or `buf = g` on the parameter's
 * first step, as `torch.optim.SGD`. Inputs G, P with weight decay, and OLD (the buffer) when not in place.
 */
function bufferBody(s: UpdateShape): string {
  const g = `let g = ${decayedGradient(s, 'P[index]')};`;
  if (s.first) return `${g} result[index] = g;`;
  const old = s.inPlace ? 'result[index]' : 'OLD[index]';
  return `${g} result[index] = uniforms.momentum * ${old} + (1.0 - uniforms.dampening) * g;`;
}

/**
 * The parameter's update `p = p - lr * d`, with `d` the decayed gradient, the (new) buffer, or with nesterov
 * `g + momentum * buf`. Inputs G (B, the updated buffer, with momentum; OLD, the parameter, when not in place).
 */
function paramBody(s: UpdateShape): string {
  const p = s.inPlace ? 'result[index]' : 'OLD[index]';
  const g = `let p = ${p}; let g = ${decayedGradient(s, 'p')};`;
  const d = !s.momentum ? 'g' : s.nesterov ? 'g + uniforms.momentum * B[index]' : 'B[index]';
  return `${g} result[index] = p - uniforms.lr * (${d});`;
}

function check(
  param: TensorInfo | undefined,
  grad: TensorInfo | undefined,
  buffer: TensorInfo | undefined,
  attrs: FusedSgdAttrs,
) {
  if (!param || !grad) throw new Error(`${FUSED_SGD_UPDATE}: needs param and grad inputs`);
  if (attrs.momentum !== 0 && !buffer) throw new Error(`${FUSED_SGD_UPDATE}: momentum needs a buffer input`);
  for (const [name, t] of Object.entries({ param, grad, buffer })) {
    if (t && (t.dtype !== 'float32' || t.shape.join() !== param.shape.join())) {
      throw new Error(
        `${FUSED_SGD_UPDATE}: ${name} must be float32 of shape [${param.shape}], got ${t.dtype} [${t.shape}]`,
      );
    }
  }
}

/**
 * PyTorch's SGD step for one parameter in two dispatches (the buffer, then the parameter) that update both in
 * place where each is the only tensor on its GPU buffer; TF.js's element-wise ops take seven kernels and as many
 * temporaries. Storage shared with another tensor (a clone, a snapshot) is left alone: the new values come back as
 * new tensors for the caller to assign, as the kernel's contract says.
 */
function fusedSgd({ inputs, backend: anyBackend, attrs: anyAttrs }: Parameters<KernelFunc>[0]): TensorInfo[] {
  const backend = anyBackend as WebGPUBackend;
  const { param, grad, buffer } = inputs as Record<string, TensorInfo | undefined>;
  const attrs = anyAttrs as unknown as FusedSgdAttrs;
  check(param, grad, buffer, attrs);
  if (!param || !grad) return [];
  const momentum = attrs.momentum !== 0 && buffer !== undefined;
  const inPlace = backend.refCount(param.dataId) === 1 && (!buffer || backend.refCount(buffer.dataId) === 1);
  const s: UpdateShape = {
    momentum,
    nesterov: attrs.nesterov,
    decay: attrs.weightDecay !== 0,
    first: attrs.first,
    inPlace,
  };
  const uniformData: ProgramUniforms = [
    { type: 'float32', data: [attrs.lr] },
    { type: 'float32', data: [attrs.momentum] },
    { type: 'float32', data: [attrs.dampening] },
    { type: 'float32', data: [attrs.weightDecay] },
  ];
  const shape = param.shape;
  let newBuffer: TensorInfo | undefined;
  if (momentum && buffer) {
    // Only the inputs the WGSL reads: TF.js lays the bindings out from the shader, which leaves unread ones out.
    const bufferInputs: Array<[string, TensorInfo]> = [['G', grad]];
    if (s.decay) bufferInputs.push(['P', param]);
    if (!inPlace && !s.first) bufferInputs.push(['OLD', buffer]);
    const program = elementWiseProgram({
      shaderKey: key('buffer', s),
      variableNames: bufferInputs.map(([name]) => name),
      outputShape: shape,
      uniforms: UNIFORMS,
      body: bufferBody(s),
    });
    newBuffer = runProgram(
      backend,
      program,
      bufferInputs.map(([, t]) => t),
      uniformData,
      inPlace ? buffer : undefined,
    );
  }
  const paramInputs: Array<[string, TensorInfo]> = [['G', grad]];
  if (newBuffer) paramInputs.push(['B', newBuffer]);
  if (!inPlace) paramInputs.push(['OLD', param]);
  const program = elementWiseProgram({
    shaderKey: key('param', s),
    variableNames: paramInputs.map(([name]) => name),
    outputShape: shape,
    uniforms: UNIFORMS,
    body: paramBody(s),
  });
  const newParam = runProgram(
    backend,
    program,
    paramInputs.map(([, t]) => t),
    uniformData,
    inPlace ? param : undefined,
  );
  if (inPlace) {
    // TF.js keeps the values a read downloaded and answers the next read from them: they are stale now.
    forgetDownloadedValues(backend, param);
    if (buffer) forgetDownloadedValues(backend, buffer);
    return [];
  }
  return newBuffer ? [newParam, newBuffer] : [newParam];
}

/** {@link FUSED_SGD_UPDATE} on WebGPU: `@alexnet/trainer`'s SGD runs it when this package's kernels are installed. */
export const fusedSgdUpdateConfig: KernelConfig = {
  kernelName: FUSED_SGD_UPDATE,
  backendName: 'webgpu',
  kernelFunc: fusedSgd as unknown as KernelFunc,
};
