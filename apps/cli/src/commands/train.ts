import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  ImageLoader,
  jpegDecoder,
  openDataset,
  paperEval,
  paperTrain,
  referenceEval,
  referenceTrain,
  subset,
  torchvisionTrain,
  writeSyntheticDataset,
} from '@alexnet/imagenet-data';
import { createModel, loadWeights, weightsMetadata } from '@alexnet/models';
import {
  fit,
  NonFiniteLossError,
  paperSchedule,
  ReduceLROnPlateau,
  readCheckpoint,
  SGD,
  StepLR,
  sigmoidCrossEntropy,
  softmaxCrossEntropy,
  TrainingInterruptedError,
} from '@alexnet/trainer';
import type { Tensor } from '@tensorflow/tfjs-core';
import { choiceFlag, numberFlag, parseFlags } from '../args.js';
import { BACKENDS, selectBackend } from '../backend.js';
import { UsageError } from '../errors.js';
import { createOutput, pct } from '../output.js';
import { cacheDir, DEFAULTS, EMBEDDED, RECIPES, readConfigFile, SYNTHETIC, type TrainConfig } from '../recipes.js';
import { renderReport } from '../report.js';

export const TRAIN_HELP = `Usage: alexnet train [options]

Trains a model. With no --data it generates a small synthetic dataset (cached) and trains the real V2 network on
it: the quick demo. Settings come from the recipe, then --config, then flags.

  --model <name>          alexnet_v1 | alexnet_v2 | alexnet_torchvision (default alexnet_v2)
  --data <dir>            training images: an ImageNet root, train/<wnid>/, or any class-per-folder set
  --val <dir>             validation images (default: val/ beside the training folder)
  --recipe <name>         reference (the seed article, default) | paper | torchvision
  --config <file.yaml>    settings in a file (the same names as the flags); flags override it
  --epochs <n>            (90)                --batch-size <n>        (128)
  --lr <x>                (0.01)              --momentum <x>          (0.9)
  --weight-decay <x>      (5e-4)              --scheduler <name>      plateau | step | paper (plateau)
  --lr-factor <x>         (0.1)               --lr-patience <n>       (10)       --lr-step <n> (30)
  --image-size <n>        input side (224); the model must accept it (see --adaptive-pool)
  --adaptive-pool         pool features to 6x6 so V1 / V2 accept any side from 63
  --lrn <kind>            paper | reference | none     --init <kind>  paper | pytorch | kaiming
  --head <kind>           softmax | sigmoid            --dropout <p>  (0.5)
  --label-smoothing <x>   (0)                 --workers <n>           decoding threads (cores)
  --grad-accum <n>        batches per optimiser step (1)
  --seed <n>              (0)                 --ten-crop              10-crop validation
  --classes <n>           use the first n classes      --per-class <n>  at most n images a class
  --no-validate-first     skip the validation pass before training
  --resume <dir|file>     continue a run from its last checkpoint
  --weights <file>        start from weights (.safetensors or PyTorch .pth)
  --out <dir>             run folder (runs/<model>-<time>)
  --backend <name>        ${BACKENDS.join(' | ')} (auto)
  --quiet | --json | --debug
`;

const FLAGS = {
  model: { type: 'string' },
  data: { type: 'string' },
  val: { type: 'string' },
  recipe: { type: 'string' },
  config: { type: 'string' },
  epochs: { type: 'string' },
  'batch-size': { type: 'string' },
  lr: { type: 'string' },
  momentum: { type: 'string' },
  'weight-decay': { type: 'string' },
  scheduler: { type: 'string' },
  'lr-factor': { type: 'string' },
  'lr-patience': { type: 'string' },
  'lr-step': { type: 'string' },
  'image-size': { type: 'string' },
  'adaptive-pool': { type: 'boolean' },
  lrn: { type: 'string' },
  init: { type: 'string' },
  head: { type: 'string' },
  dropout: { type: 'string' },
  'label-smoothing': { type: 'string' },
  workers: { type: 'string' },
  'grad-accum': { type: 'string' },
  seed: { type: 'string' },
  'ten-crop': { type: 'boolean' },
  classes: { type: 'string' },
  'per-class': { type: 'string' },
  'no-validate-first': { type: 'boolean' },
  resume: { type: 'string' },
  weights: { type: 'string' },
  out: { type: 'string' },
} as const;

/** Settings from the command line only (undefined where a flag is absent). */
function flagsToConfig(values: Record<string, string | boolean | undefined>): Partial<TrainConfig> {
  const s = (k: string) => values[k] as string | undefined;
  const config: Partial<TrainConfig> = {
    model: s('model'),
    data: s('data'),
    val: s('val'),
    recipe: choiceFlag('recipe', s('recipe'), ['reference', 'paper', 'torchvision'] as const),
    epochs: numberFlag('epochs', s('epochs'), { integer: true, min: 1 }),
    batchSize: numberFlag('batch-size', s('batch-size'), { integer: true, min: 1 }),
    lr: numberFlag('lr', s('lr'), { min: 0 }),
    momentum: numberFlag('momentum', s('momentum'), { min: 0 }),
    weightDecay: numberFlag('weight-decay', s('weight-decay'), { min: 0 }),
    scheduler: choiceFlag('scheduler', s('scheduler'), ['plateau', 'step', 'paper'] as const),
    lrFactor: numberFlag('lr-factor', s('lr-factor'), { min: 0 }),
    lrPatience: numberFlag('lr-patience', s('lr-patience'), { integer: true, min: 0 }),
    lrStep: numberFlag('lr-step', s('lr-step'), { integer: true, min: 1 }),
    imageSize: numberFlag('image-size', s('image-size'), { integer: true, min: 1 }),
    adaptivePool: values['adaptive-pool'] ? true : undefined,
    lrn: choiceFlag('lrn', s('lrn'), ['paper', 'reference', 'none'] as const),
    init: choiceFlag('init', s('init'), ['paper', 'pytorch', 'kaiming'] as const),
    head: choiceFlag('head', s('head'), ['softmax', 'sigmoid'] as const),
    dropout: numberFlag('dropout', s('dropout'), { min: 0 }),
    labelSmoothing: numberFlag('label-smoothing', s('label-smoothing'), { min: 0 }),
    workers: numberFlag('workers', s('workers'), { integer: true, min: 0 }),
    gradAccum: numberFlag('grad-accum', s('grad-accum'), { integer: true, min: 1 }),
    seed: numberFlag('seed', s('seed'), { integer: true }),
    tenCrop: values['ten-crop'] ? true : undefined,
    classes: numberFlag('classes', s('classes'), { integer: true, min: 1 }),
    perClass: numberFlag('per-class', s('per-class'), { integer: true, min: 1 }),
    validateFirst: values['no-validate-first'] ? false : undefined,
    resume: s('resume'),
    weights: s('weights'),
    out: s('out'),
    backend: choiceFlag('backend', s('backend'), BACKENDS),
  };
  return Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined)) as Partial<TrainConfig>;
}

/** Defaults, then the recipe, then the embedded demo's sizes (without --data), then --config, then flags. */
export function resolveConfig(values: Record<string, string | boolean | undefined>): TrainConfig {
  const flags = flagsToConfig(values);
  const file = values.config ? readConfigFile(values.config as string) : {};
  const recipe = flags.recipe ?? file.recipe ?? DEFAULTS.recipe;
  const data = flags.data ?? file.data ?? null;
  return { ...DEFAULTS, ...RECIPES[recipe], ...(data ? {} : EMBEDDED), ...file, ...flags, recipe };
}

export async function train(argv: string[]): Promise<number> {
  const { values } = parseFlags('train', argv, FLAGS as never);
  if (values.help) {
    process.stdout.write(TRAIN_HELP);
    return 0;
  }
  const out = createOutput({ quiet: values.quiet as boolean, json: values.json as boolean });
  let config = resolveConfig(values as Record<string, string | boolean | undefined>);
  let resumeFrom: string | null = null;
  if (config.resume) {
    resumeFrom = resumePath(config.resume);
    const saved = (await readCheckpoint(resumeFrom)).state.config as Partial<TrainConfig>;
    // The run's own settings, with this command's flags on top (for example more --epochs).
    config = { ...DEFAULTS, ...saved, ...flagsToConfig(values as never), resume: config.resume };
  }
  const backend = await selectBackend(config.backend);
  out.info(`Backend: ${backend.name} (${backend.device})`);

  const { trainDir, valDir } = await locateData(config, out.info);
  let trainSet = openDataset(trainDir);
  let valSet = valDir ? openDataset(valDir, { classes: trainSet.classes }) : null;
  if (config.classes !== null || config.perClass !== null) {
    const options = { classes: config.classes ?? undefined, perClass: config.perClass ?? undefined, seed: config.seed };
    trainSet = subset(trainSet, options);
    valSet = valSet ? subset(valSet, { classes: config.classes ?? undefined }) : null;
  }
  out.info(
    `Data: ${trainSet.samples.length} training images in ${trainSet.classes.length} classes from ${trainDir}` +
      (valSet ? `; ${valSet.samples.length} validation images from ${valDir}` : '; no validation set'),
  );
  out.info(`Loader: ${config.workers} worker threads, JPEGs decoded with ${jpegDecoder()}`);

  const model = createModel(config.model, {
    numClasses: trainSet.classes.length,
    dropout: config.dropout,
    lrn: config.lrn ?? undefined,
    init: config.init ?? undefined,
    head: config.head ?? undefined,
    seed: config.seed,
    adaptivePool: config.adaptivePool ? 6 : undefined,
    classNames: trainSet.classNames ?? trainSet.classes,
    classIds: trainSet.classes,
  });
  try {
    model.checkInput([1, config.imageSize, config.imageSize, 3]);
  } catch (error) {
    throw new UsageError(
      `${(error as Error).message}; pass --image-size in that range, or --adaptive-pool for smaller inputs`,
    );
  }
  if (config.weights && !resumeFrom) {
    await loadWeights(model, config.weights);
    out.info(`Weights: ${config.weights}`);
  }

  const size = config.imageSize;
  const transforms = { reference: referenceTrain, paper: paperTrain, torchvision: torchvisionTrain }[config.recipe](
    size,
  );
  const evalTransforms = config.tenCrop ? paperEval(size) : referenceEval(size);
  const badFile = (f: { path: string; reason: string }) => out.info(`skipping ${f.path}: ${f.reason}`);
  const trainLoader = new ImageLoader(trainSet, {
    batchSize: config.batchSize,
    transforms,
    seed: config.seed,
    workers: config.workers,
    onBadFile: badFile,
  });
  const valLoader = valSet
    ? new ImageLoader(valSet, {
        batchSize: config.batchSize,
        transforms: evalTransforms,
        shuffle: false,
        workers: config.workers,
        onBadFile: badFile,
      })
    : null;

  const optimizer = new SGD(model, { lr: config.lr, momentum: config.momentum, weightDecay: config.weightDecay });
  const scheduler =
    config.scheduler === 'step'
      ? new StepLR(optimizer, { stepSize: config.lrStep, gamma: config.lrFactor })
      : config.scheduler === 'paper' || (config.recipe === 'paper' && model.name === 'alexnet_v2')
        ? paperSchedule(optimizer, config.epochs)
        : new ReduceLROnPlateau(optimizer, {
            mode: valSet ? 'max' : 'min',
            factor: config.lrFactor,
            patience: config.lrPatience,
          });
  const loss =
    model.options.head === 'sigmoid'
      ? (logits: Tensor, labels: Tensor) => sigmoidCrossEntropy(logits, labels)
      : (logits: Tensor, labels: Tensor) =>
          softmaxCrossEntropy(logits, labels, { labelSmoothing: config.labelSmoothing });

  const runDir = resolve(
    resumeFrom ? resolve(resumeFrom, '..') : (config.out ?? join('runs', `${config.model}-${timestamp()}`)),
  );
  mkdirSync(runDir, { recursive: true });
  const resolved = { ...config, data: trainDir, val: valDir, backend: config.backend, backendUsed: backend };
  writeFileSync(join(runDir, 'config.json'), `${JSON.stringify(resolved, null, 2)}\n`);
  out.info(`Run folder: ${runDir}`);
  out.info(
    `Model: ${model.name} (${model.numParameters().toLocaleString('en-US')} parameters, ${model.options.head} head), input ${size}x${size}`,
  );

  const epochs = config.epochs;
  const reportPath = join(runDir, 'report.html');
  const writeReport = (
    history: Parameters<typeof renderReport>[0]['history'],
    best: Parameters<typeof renderReport>[0]['best'],
  ) =>
    writeFileSync(
      reportPath,
      renderReport({ title: `${model.name} on ${trainDir}`, history, config: resolved, backend, best }),
    );
  try {
    const result = await fit({
      model,
      optimizer,
      scheduler,
      loss,
      trainData: (epoch) => trainLoader.epoch(epoch),
      valData: valLoader ? (epoch) => valLoader.epoch(epoch) : undefined,
      epochs,
      monitor: valLoader ? 'val.top1' : 'train.loss',
      validateFirst: config.validateFirst,
      gradAccumulation: config.gradAccum,
      checkpointDir: runDir,
      resume: resumeFrom ?? false,
      generators: model.generator ? [model.generator] : [],
      config: resolved,
      weightsMetadata: weightsMetadata(model),
      evaluateOptions: { crops: config.tenCrop ? 10 : 1, head: model.options.head },
      handleSignals: true,
      logEvery: 10,
      onStepEnd: (event) =>
        out.step(event, Math.ceil(trainLoader.batchesPerEpoch / config.gradAccum) * config.gradAccum, epochs),
      onEpochEnd: (record) => out.epoch(record, epochs),
    });
    out.done();
    writeReport(result.history, result.best);
    const last = result.history.at(-1);
    if (last?.val)
      out.info(`Validation top-1 ${pct(last.val.top1)}, top-5 ${pct(last.val.top5)} (${last.val.count} images)`);
    out.info(`Report: ${reportPath}`);
    if (values.json) out.json({ runDir, report: reportPath, backend, history: result.history, best: result.best });
    return 0;
  } catch (error) {
    out.done();
    if (error instanceof TrainingInterruptedError || error instanceof NonFiniteLossError) {
      process.stderr.write(`alexnet: ${error.message}\n`);
      return error instanceof TrainingInterruptedError ? 130 : 1;
    }
    throw error;
  } finally {
    await trainLoader.close();
    await valLoader?.close();
  }
}

async function locateData(
  config: TrainConfig,
  info: (line: string) => void,
): Promise<{ trainDir: string; valDir: string | null }> {
  if (!config.data) {
    const root = join(cacheDir(), `synthetic-${SYNTHETIC.classes}x${SYNTHETIC.trainPerClass}-v1`);
    if (!existsSync(join(root, 'LOC_val_solution.csv'))) {
      info(`Writing the synthetic dataset to ${root} (once)`);
      await writeSyntheticDataset(root, SYNTHETIC);
    }
    return { trainDir: join(root, 'train'), valDir: join(root, 'val') };
  }
  const data = resolve(config.data);
  if (!existsSync(data)) throw new UsageError(`--data folder not found: ${data}`);
  if (!statSync(data).isDirectory()) throw new UsageError(`--data must be a folder, got the file ${data}`);
  const trainDir = existsSync(join(data, 'train')) ? join(data, 'train') : data;
  if (config.val) {
    if (!existsSync(config.val)) throw new UsageError(`--val folder not found: ${config.val}`);
    return { trainDir, valDir: resolve(config.val) };
  }
  const sibling = [join(data, 'val'), join(trainDir, '..', 'val')].find(
    (d) => existsSync(d) && resolve(d) !== resolve(trainDir),
  );
  return { trainDir, valDir: sibling ? resolve(sibling) : null };
}

function resumePath(path: string): string {
  if (!existsSync(path)) throw new UsageError(`--resume: nothing at ${path}`);
  if (statSync(path).isDirectory()) {
    const last = join(path, 'last.safetensors');
    if (!existsSync(last)) throw new UsageError(`--resume: ${path} has no last.safetensors checkpoint`);
    return last;
  }
  return path;
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}
