/**
 * Turns off the one-time hint tfjs-backend-cpu prints on its first tensor under Node ("install tfjs-node to speed
 * things up") on one instance of `MathBackendCPU` or a subclass: a backend that derives from the cpu backend and is
 * the speed-up itself (`@alexnet/tfjs-backend-native`) calls it from its constructor.
 *
 * Engine internal: it clears the cpu backend's private `firstUse` flag, which tfjs-backend-cpu 4.22 checks in
 * `write()`; `internals.test.ts` checks that the flag is still there.
 */
export function silenceTfjsNodeHint(backend: object): void {
  (backend as { firstUse: boolean }).firstUse = false;
}
