import { registerFusedConv2DGradient } from './fused-conv2d.js';
import { registerReluGradient } from './relu.js';

/**
 * Registers every gradient of this package: {@link registerFusedConv2DGradient} (the bias-only `FusedConv2D`
 * gradient `@alexnet/layers`' `Conv2d` trains with) and {@link registerReluGradient} (ReLU through a backend's
 * single-pass kernel where it has one). Call it once before training, after importing `@tensorflow/tfjs` (which
 * registers TF.js's own gradients); {@link variableGrads} calls it too. Idempotent.
 */
export function registerGradients(): void {
  registerFusedConv2DGradient();
  registerReluGradient();
}
