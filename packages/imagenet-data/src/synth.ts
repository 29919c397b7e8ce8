import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RandomGenerator } from '@alexnet/layers';
import sharp from 'sharp';

/** The shapes of the synthetic classes, in class order. */
export const SYNTHETIC_SHAPES = [
  'circle',
  'square',
  'triangle',
  'cross',
  'ring',
  'stripes',
  'diamond',
  'dots',
] as const;

/** Options of {@link writeSyntheticDataset}. */
export interface SyntheticOptions {
  /** Number of classes, up to 8 (default 4). */
  classes?: number;
  /** Training images a class (default 60). */
  trainPerClass?: number;
  /** Validation images a class (default 20). */
  valPerClass?: number;
  /** Smallest and largest image side (default 64 to 112). */
  sides?: [number, number];
  seed?: number;
}

/** What {@link writeSyntheticDataset} wrote. */
export interface SyntheticDataset {
  root: string;
  train: string;
  val: string;
  classes: string[];
  classNames: string[];
}

/**
 * Writes a small dataset in the ILSVRC-2012 layout: `train/<wnid>/<wnid>_<n>.JPEG`, a flat `val/` folder labelled by
 * `LOC_val_solution.csv`, and `LOC_synset_mapping.txt`. Each class is a shape (circle, square, triangle, ...) of a
 * random colour, position and scale on a noisy background of another colour, in images of varied sizes: easy to
 * learn, but only from the shape. Seeded: the same files every time.
 */
export async function writeSyntheticDataset(root: string, options: SyntheticOptions = {}): Promise<SyntheticDataset> {
  const classCount = options.classes ?? 4;
  if (!(classCount >= 2 && classCount <= SYNTHETIC_SHAPES.length)) {
    throw new RangeError(`classes must be between 2 and ${SYNTHETIC_SHAPES.length}, got ${classCount}`);
  }
  const [minSide, maxSide] = options.sides ?? [64, 112];
  const rng = new RandomGenerator(options.seed ?? 0);
  const classes = Array.from({ length: classCount }, (_, i) => `n9${String(i + 1).padStart(7, '0')}`);
  const classNames = SYNTHETIC_SHAPES.slice(0, classCount).map(String);
  const train = join(root, 'train');
  const val = join(root, 'val');
  await mkdir(val, { recursive: true });
  await writeFile(join(root, 'LOC_synset_mapping.txt'), classes.map((id, i) => `${id} ${classNames[i]}\n`).join(''));

  const draw = (label: number) => {
    const width = minSide + Math.floor(rng.uniform() * (maxSide - minSide + 1));
    const height = minSide + Math.floor(rng.uniform() * (maxSide - minSide + 1));
    return { width, height, pixels: renderShape(SYNTHETIC_SHAPES[label], width, height, rng) };
  };
  for (const [label, id] of classes.entries()) {
    await mkdir(join(train, id), { recursive: true });
    for (let n = 1; n <= (options.trainPerClass ?? 60); n++) {
      const { width, height, pixels } = draw(label);
      await encode(pixels, width, height, join(train, id, `${id}_${n}.JPEG`));
    }
  }
  const solution = ['ImageId,PredictionString'];
  let index = 0;
  for (let n = 0; n < (options.valPerClass ?? 20); n++) {
    for (const [label, id] of classes.entries()) {
      index += 1;
      const name = `ILSVRC2012_val_${String(index).padStart(8, '0')}`;
      const { width, height, pixels } = draw(label);
      await encode(pixels, width, height, join(val, `${name}.JPEG`));
      solution.push(`${name},${id} 0 0 ${width - 1} ${height - 1}`);
    }
  }
  await writeFile(join(root, 'LOC_val_solution.csv'), `${solution.join('\n')}\n`);
  return { root, train, val, classes, classNames };
}

function encode(pixels: Uint8Array, width: number, height: number, path: string): Promise<unknown> {
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 90 })
    .toFile(path);
}

/** RGB pixels of one shape on a noisy background. */
function renderShape(
  shape: (typeof SYNTHETIC_SHAPES)[number],
  width: number,
  height: number,
  rng: RandomGenerator,
): Uint8Array {
  const colour = () => [rng.uniform(), rng.uniform(), rng.uniform()].map((v) => 40 + v * 175);
  const background = colour();
  let foreground = colour();
  while (
    Math.abs(foreground[0] - background[0]) +
      Math.abs(foreground[1] - background[1]) +
      Math.abs(foreground[2] - background[2]) <
    150
  ) {
    foreground = colour();
  }
  const side = Math.min(width, height);
  const radius = side * (0.22 + 0.16 * rng.uniform());
  const cx = radius + (width - 2 * radius) * rng.uniform();
  const cy = radius + (height - 2 * radius) * rng.uniform();
  const inside = (x: number, y: number): boolean => {
    const dx = (x - cx) / radius;
    const dy = (y - cy) / radius;
    switch (shape) {
      case 'circle':
        return dx * dx + dy * dy <= 1;
      case 'square':
        return Math.abs(dx) <= 0.85 && Math.abs(dy) <= 0.85;
      case 'triangle':
        return dy <= 0.8 && dy >= -1 + 2 * Math.abs(dx) * 0.95;
      case 'cross':
        return (Math.abs(dx) <= 0.28 && Math.abs(dy) <= 1) || (Math.abs(dy) <= 0.28 && Math.abs(dx) <= 1);
      case 'ring': {
        const r = dx * dx + dy * dy;
        return r <= 1 && r >= 0.45;
      }
      case 'stripes':
        return Math.abs(dx) <= 1 && Math.abs(dy) <= 1 && Math.floor((dy + 1) * 2.5) % 2 === 0;
      case 'diamond':
        return Math.abs(dx) + Math.abs(dy) <= 1;
      case 'dots':
        return [-0.5, 0.5].some((ox) => [-0.5, 0.5].some((oy) => (dx - ox) ** 2 + (dy - oy) ** 2 <= 0.12));
    }
  };
  const pixels = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const base = inside(x + 0.5, y + 0.5) ? foreground : background;
      for (let c = 0; c < 3; c++) {
        const noisy = base[c] + 18 * rng.normal();
        pixels[(y * width + x) * 3 + c] = noisy < 0 ? 0 : Math.min(noisy, 255);
      }
    }
  }
  return pixels;
}
