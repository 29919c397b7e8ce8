/**
 * `@alexnet/imagenet-data`: ImageNet (or any class-per-folder image set) from disk to augmented batches.
 *
 * ```ts
 * import { ImageLoader, openDataset, paperTrain } from '@alexnet/imagenet-data';
 * const train = openDataset('/data/imagenet/train');
 * const loader = new ImageLoader(train, { batchSize: 128, transforms: paperTrain(), seed: 0 });
 * for await (const { images, labels } of loader.epoch(1)) { ... }
 * ```
 *
 * @packageDocumentation
 * @module @alexnet/imagenet-data
 */
export { BadImageError } from './bad-image.js';
export { type CheckDatasetOptions, checkDataset, type DatasetReport } from './check.js';
export {
  type DatasetSplit,
  IMAGE_EXTENSIONS,
  type ImageDataset,
  isImageNetRootFolder,
  type Layout,
  type OpenDatasetOptions,
  openDataset,
  openSplits,
  type Sample,
  type SubsetOptions,
  subset,
} from './dataset.js';
export { type DevkitSynset, readDevkitSynsets } from './devkit.js';
export { jpegDecoder } from './jpeg-native.js';
export { type DecodedImage, type LoadImageOptions, loadImage } from './load-image.js';
export { type BadFile, ImageLoader, type LoadedBatch, type LoaderOptions, maxUsefulWorkers } from './loader.js';
export { MAX_IMAGE_PIXELS } from './pixel-limit.js';
export { type EvalPreprocessing, type EvalTransformsOptions, evalTransforms } from './preprocessing.js';
export type { ImageFile } from './read-file.js';
export { SYNTHETIC_SHAPES, type SyntheticDataset, type SyntheticOptions, writeSyntheticDataset } from './synth.js';
export {
  CenterCrop,
  ColorJitter,
  IMAGENET_MEAN,
  IMAGENET_PCA,
  IMAGENET_STD,
  Normalize,
  PcaLighting,
  paperEval,
  paperTrain,
  RandomCrop,
  RandomHorizontalFlip,
  RandomResizedCrop,
  Rescale,
  Resize,
  referenceEval,
  referenceTrain,
  resizeFor,
  type Size,
  TenCrop,
  type Transform,
  torchvisionEval,
  torchvisionTrain,
} from './transforms.js';
export { liveWorkerThreads } from './worker-pool.js';
