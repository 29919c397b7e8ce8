/**
 * `@alexnet/torch-io`: PyTorch files in JavaScript, without Python. Reads `.pth` / `.pt` checkpoints (`torch.save`'s
 * zip format and the legacy one), writes state dicts that `torch.load` reads, reads and writes `.safetensors`, and
 * reads any pickle safely (nothing in a file can run code). Tensors are plain typed arrays ({@link RawTensor}): no
 * tensor library needed. It also holds the key layout of `@alexnet/trainer`'s checkpoints.
 *
 * ```ts
 * import { extractStateDict, readPyTorch } from '@alexnet/torch-io';
 * const weights = extractStateDict(readPyTorch(bytes, 'alexnet-owt-7be5be79.pth'));
 * weights['features.0.weight']; // { dtype: 'float32', shape: [64, 3, 11, 11], data: Float32Array }
 * ```
 *
 * File-system helpers (atomic writes) are the Node-only `@alexnet/torch-io/node`.
 *
 * @packageDocumentation
 * @module @alexnet/torch-io
 */
export {
  type CheckpointParts,
  joinCheckpointTensors,
  MODEL_PREFIX,
  OPTIMIZER_PREFIX,
  optimizerStateKey,
  parseOptimizerStateKey,
  splitCheckpointTensors,
  TENSOR_DATA_CHECKSUM_KEY,
} from './checkpoint-layout.js';
export { unpickle } from './pickle/unpickle.js';
export { PickleGlobal, PickleObject, type UnpickleHooks } from './pickle/values.js';
export { extractStateDict } from './pytorch/extract-state-dict.js';
export { type ReadPyTorchOptions, readPyTorch } from './pytorch/read-pytorch.js';
export { writePyTorch } from './pytorch/write-pytorch.js';
export { isRawTensor, type RawTensor, type RawTensors } from './raw-tensor.js';
export { readSafetensors, type SafetensorsContent, writeSafetensors } from './safetensors.js';
