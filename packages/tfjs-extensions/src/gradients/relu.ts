import * as tf from '@tensorflow/tfjs-core';
import { RELU_GRAD } from '../kernel-names.js';

/**
 * ReLU's gradient through a backend's single-pass {@link RELU_GRAD} kernel where the active backend registers one
 * (`@alexnet/tfjs-backend-native` does), and through the gradient it replaces everywhere else: TF.js's own
 * (dy * step(x), registered by importing `@tensorflow/tfjs`), or the same rule here where none was registered.
 */

/** The gradient this package registered, to tell whether a later registration (TF.js's) replaced it. */
let registered: tf.GradConfig | null = null;

/**
 * Registers the ReLU gradient described above for every backend. Idempotent; where something registered another
 * ReLU gradient since (importing `@tensorflow/tfjs` after this call does), calling it again wraps that one instead.
 */
export function registerReluGradient(): void {
  const current = tf.getGradient(tf.Relu);
  if (registered !== null && current === registered) return;
  const replaced = current ?? null;
  registered = {
    kernelName: tf.Relu,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      if (tf.getKernel(RELU_GRAD, tf.getBackend())) {
        return { x: () => tf.engine().runKernel(RELU_GRAD, { x, dy: dy as tf.Tensor }) as tf.Tensor };
      }
      if (replaced) return replaced.gradFunc(dy, saved, attrs);
      return { x: () => tf.mul(dy as tf.Tensor, tf.cast(tf.step(x), 'float32')) };
    },
  };
  tf.registerGradient(registered);
}
