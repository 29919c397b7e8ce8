import * as tf from '@tensorflow/tfjs-core';
import names from '../data/imagenet-class-names.json';

/**
 * The 1000 ILSVRC-2012 classes' readable names in class-index order (index = position of the wnid in sorted
 * order: 0 is n01440764, "tench"). Written by scripts/fixtures/pytorch_reference.py from torchvision's list.
 *
 * The wnids themselves are not shipped: no registry this project builds from carries the list, and it cannot be
 * derived from the names alone (113 names match several WordNet synsets). A model trained on an ImageNet folder
 * records its wnids (the folder names) as {@link ClassInfo.ids}.
 */
export const IMAGENET_CLASS_NAMES: readonly string[] = Object.freeze(names as string[]);

/** What a model knows about its classes. */
export interface ClassInfo {
  /** Readable names, index order. */
  names?: readonly string[] | null;
  /** Dataset ids (ImageNet wnids such as `n01440764`), index order. */
  ids?: readonly string[] | null;
}

/** One of the k best classes of an image. */
export interface Prediction {
  index: number;
  /** The class id (ImageNet wnid) when known, else null. */
  wnid: string | null;
  /** The readable name when known, else `class <index>`. */
  label: string;
  probability: number;
}

/** Options of {@link topK}. */
export interface TopKOptions extends ClassInfo {
  /** How logits become probabilities (default softmax; sigmoid for independent logistic units). */
  head?: 'softmax' | 'sigmoid';
}

/** The `k` most probable classes of each image, best first, from logits `[n, classes]`. */
export async function topK(logits: tf.Tensor, k = 5, options: TopKOptions = {}): Promise<Prediction[][]> {
  if (logits.rank !== 2) throw new Error(`topK expects logits [batch, classes], got [${logits.shape.join(', ')}]`);
  const classes = logits.shape[1] as number;
  const count = Math.min(k, classes);
  const { values, indices } = tf.tidy(() => {
    const probabilities = options.head === 'sigmoid' ? tf.sigmoid(logits) : tf.softmax(logits);
    return tf.topk(probabilities, count);
  });
  const [p, i] = await Promise.all([values.array() as Promise<number[][]>, indices.array() as Promise<number[][]>]);
  tf.dispose([values, indices]);
  return p.map((row, b) =>
    row.map((probability, j) => {
      const index = i[b][j];
      return {
        index,
        wnid: options.ids?.[index] ?? null,
        label: options.names?.[index] ?? `class ${index}`,
        probability,
      };
    }),
  );
}
