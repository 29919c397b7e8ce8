/**
 * The AlexNet architectures as plain data. Every difference between the three variants is in these objects; the
 * code that builds a network from them ({@link AlexNet}) knows nothing about any one of them.
 */

/** One feature-extraction unit: conv, ReLU, [LRN], [max-pool]. */
export interface ConvStage {
  out: number;
  kernel: number;
  stride: number;
  padding: number;
  /** Whether local response normalisation follows the ReLU (when the model's `lrn` option is not `'none'`). */
  lrn: boolean;
  /** Max pooling window and stride, or null for none. */
  pool: { kernel: number; stride: number } | null;
  /** The bias the 2012 paper initialises this layer with (1 in conv2, conv4, conv5; 0 elsewhere). */
  paperInitBias: number;
}

/** A complete AlexNet variant. */
export interface AlexNetArchitecture {
  /** Registry name. */
  name: string;
  /** One line for listings. */
  description: string;
  /** Where the architecture comes from. */
  paper: string;
  convs: ConvStage[];
  /** `AdaptiveAvgPool2d` output side after the features (torchvision), or null for none. */
  adaptivePool: number | null;
  /** Hidden fully connected layers, each dropout, linear, ReLU. */
  hidden: number[];
  /** The paper's initial bias of the hidden fully connected layers. */
  paperHiddenInitBias: number;
  /** Defaults of the options that differ between variants. */
  defaults: {
    lrn: 'paper' | 'none';
    init: 'paper' | 'pytorch' | 'kaiming';
    head: 'softmax' | 'sigmoid';
  };
}

const POOL = { kernel: 3, stride: 2 };

function stages(widths: [number, number, number, number, number], lrn: boolean): ConvStage[] {
  return [
    { out: widths[0], kernel: 11, stride: 4, padding: 2, lrn, pool: POOL, paperInitBias: 0 },
    { out: widths[1], kernel: 5, stride: 1, padding: 2, lrn, pool: POOL, paperInitBias: 1 },
    { out: widths[2], kernel: 3, stride: 1, padding: 1, lrn: false, pool: null, paperInitBias: 0 },
    { out: widths[3], kernel: 3, stride: 1, padding: 1, lrn: false, pool: null, paperInitBias: 1 },
    { out: widths[4], kernel: 3, stride: 1, padding: 1, lrn: false, pool: POOL, paperInitBias: 1 },
  ];
}

/** The 2012 paper's network on one GPU (both towers merged): 96-256-384-384-256, LRN after conv1 and conv2. */
export const ALEXNET_V1: AlexNetArchitecture = {
  name: 'alexnet_v1',
  description: 'AlexNet 2012 (one tower): 96-256-384-384-256 with LRN, 62.4M parameters',
  paper: 'Krizhevsky, Sutskever, Hinton. ImageNet Classification with Deep Convolutional Neural Networks. NIPS 2012.',
  convs: stages([96, 256, 384, 384, 256], true),
  adaptivePool: null,
  hidden: [4096, 4096],
  paperHiddenInitBias: 1,
  defaults: { lrn: 'paper', init: 'paper', head: 'softmax' },
};

/** The 2014 single-column network: 64-192-384-384-256, trained with 1000 independent logistic units. */
export const ALEXNET_V2: AlexNetArchitecture = {
  name: 'alexnet_v2',
  description: 'AlexNet 2014 "one weird trick": 64-192-384-384-256 with LRN, 61.8M parameters',
  paper: 'Krizhevsky. One weird trick for parallelizing convolutional neural networks. arXiv:1404.5997, 2014.',
  convs: stages([64, 192, 384, 384, 256], true),
  adaptivePool: null,
  hidden: [4096, 4096],
  paperHiddenInitBias: 1,
  defaults: { lrn: 'paper', init: 'paper', head: 'sigmoid' },
};

/** torchvision's `alexnet`: 64-192-384-256-256, no LRN, adaptive average pooling to 6x6. */
export const ALEXNET_TORCHVISION: AlexNetArchitecture = {
  name: 'alexnet_torchvision',
  description: "torchvision's alexnet: 64-192-384-256-256, no LRN, adaptive pooling, 61.1M parameters",
  paper: 'torchvision.models.alexnet, after the 2014 paper; loads alexnet-owt-7be5be79.pth unchanged.',
  convs: stages([64, 192, 384, 256, 256], false),
  adaptivePool: 6,
  hidden: [4096, 4096],
  paperHiddenInitBias: 1,
  defaults: { lrn: 'none', init: 'pytorch', head: 'softmax' },
};
