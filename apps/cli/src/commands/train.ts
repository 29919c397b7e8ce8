import { weightsMetadata } from '@alexnet/models';
import { fit, NonFiniteLossError, readCheckpoint, TrainingInterruptedError } from '@alexnet/trainer';
import { selectBackend } from '../backend.js';
import { helpText, printHelp } from '../help.js';
import { parseOptions } from '../options.js';
import { createOutput, type Output, pct } from '../output.js';
import { resolveConfig, resumedConfig, type TrainFlags } from '../train/config.js';
import { openTrainingData, trainingLoaders } from '../train/data.js';
import { trainingModel } from '../train/model.js';
import { trainingLoss, trainingOptimizer, trainingScheduler } from '../train/optimisation.js';
import { TRAIN_COMMAND_OPTIONS, TRAIN_OPTIONS, type TrainConfig } from '../train/options.js';
import {
  chooseRunFolder,
  createRunFolder,
  type RecordedConfig,
  resumePath,
  writeRunReport,
} from '../train/run-folder.js';

export const TRAIN_HELP = helpText({
  usage: 'Usage: alexnet train [options]',
  description: `
Trains a model. With no --data it generates a small synthetic dataset (cached) and trains the real V2 network on
it: the quick demo. Settings come from the defaults, then the recipe, then --config, then flags.`,
  options: [TRAIN_OPTIONS, TRAIN_COMMAND_OPTIONS],
});

/** `alexnet train`: settings, backend, data, model, run folder, then `fit` with progress and a report. */
export async function train(argv: string[]): Promise<number> {
  const { help, given } = parseOptions('train', argv, { ...TRAIN_OPTIONS, ...TRAIN_COMMAND_OPTIONS });
  if (help) return printHelp(TRAIN_HELP);
  const { config: configFile, quiet, json, overwrite, ...flags } = given;
  const out = createOutput({ quiet, json });
  const { config, resumeFrom } = await runSettings(flags, configFile);
  const folder = chooseRunFolder(config, resumeFrom, {
    overwrite: overwrite ?? false,
    outFlag: flags.out ?? undefined,
  });
  const backend = await selectBackend(config.backend, { adapter: config.adapter });
  out.info(`Backend: ${backend.name} (${backend.device})`);

  const data = await openTrainingData(config, out.info);
  const model = await trainingModel(config, data.trainSet, { resuming: resumeFrom !== null, info: out.info });
  const { trainLoader, valLoader } = trainingLoaders(data, config, model.preprocessing, out.info);
  const optimizer = trainingOptimizer(model, config);
  const recorded: RecordedConfig = { ...config, data: data.trainDir, val: data.valDir, backendUsed: backend };
  if (folder.replaces.length > 0) {
    // Said even with --quiet: files are about to go.
    process.stderr.write(`alexnet: --overwrite: replacing the run in ${folder.path}: ${folder.replaces.join(', ')}\n`);
  }
  const runDir = createRunFolder(folder, recorded);
  out.info(`Run folder: ${runDir}`);
  const size = config.imageSize;
  out.info(
    `Model: ${model.name} (${model.numParameters().toLocaleString('en-US')} parameters, ${model.options.head} head), input ${size}x${size}`,
  );

  const epochs = config.epochs;
  try {
    const result = await fit({
      model,
      optimizer,
      scheduler: trainingScheduler(optimizer, config, valLoader !== null),
      loss: trainingLoss(model, config),
      trainData: (epoch) => trainLoader.epoch(epoch),
      valData: valLoader ? (epoch) => valLoader.epoch(epoch) : undefined,
      epochs,
      monitor: valLoader ? 'val.top1' : 'train.loss',
      validateFirst: config.validateFirst,
      gradAccumulation: config.gradAccum,
      checkpointDir: runDir,
      resume: resumeFrom ?? false,
      generators: model.generator ? [model.generator] : [],
      config: recorded,
      weightsMetadata: weightsMetadata(model),
      evaluateOptions: { crops: config.tenCrop ? 10 : 1, head: model.options.head },
      handleSignals: true,
      logEvery: 10,
      onStepEnd: (event) =>
        out.step(event, Math.ceil(trainLoader.batchesPerEpoch / config.gradAccum) * config.gradAccum, epochs),
      onEpochEnd: (record) => out.epoch(record, epochs),
    });
    out.done();
    const title = `${model.name} on ${data.trainDir}`;
    const report = writeRunReport(runDir, { title, config: recorded, backend, ...result });
    summarise(out, result.history, report);
    if (json) out.json({ runDir, report, backend, history: result.history, best: result.best });
    return 0;
  } catch (error) {
    out.done();
    return stoppedRun(error);
  } finally {
    await trainLoader.close();
    await valLoader?.close();
  }
}

/** A new run's settings, or a resumed run's own (from its checkpoint) with the flags on top. */
async function runSettings(
  flags: TrainFlags,
  configFile: string | undefined,
): Promise<{ config: TrainConfig; resumeFrom: string | null }> {
  const config = resolveConfig(flags, configFile);
  if (!config.resume) return { config, resumeFrom: null };
  const resumeFrom = resumePath(config.resume);
  const saved = (await readCheckpoint(resumeFrom)).state.config;
  return { config: resumedConfig(saved, flags, config.resume), resumeFrom };
}

function summarise(out: Output, history: Awaited<ReturnType<typeof fit>>['history'], report: string): void {
  const last = history.at(-1);
  if (last?.val)
    out.info(`Validation top-1 ${pct(last.val.top1)}, top-5 ${pct(last.val.top5)} (${last.val.count} images)`);
  out.info(`Report: ${report}`);
}

/** Ctrl-C (130) and a non-finite loss (1) end a run with one line; anything else is an error. */
function stoppedRun(error: unknown): number {
  if (error instanceof TrainingInterruptedError || error instanceof NonFiniteLossError) {
    process.stderr.write(`alexnet: ${error.message}\n`);
    return error instanceof TrainingInterruptedError ? 130 : 1;
  }
  throw error;
}
