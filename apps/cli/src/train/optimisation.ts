import type { AlexNet } from '@alexnet/models';
import {
  type LossFunction,
  paperSchedule,
  ReduceLROnPlateau,
  SGD,
  StepLR,
  sigmoidCrossEntropy,
  softmaxCrossEntropy,
} from '@alexnet/trainer';
import type { TrainConfig } from './options.js';

/** SGD with the run's rate, momentum and weight decay. */
export function trainingOptimizer(model: AlexNet, config: TrainConfig): SGD {
  return new SGD(model, { lr: config.lr, momentum: config.momentum, weightDecay: config.weightDecay });
}

/** The `--scheduler`: plateau watches validation top-1 (or the training loss when there is no validation set). */
export function trainingScheduler(optimizer: SGD, config: TrainConfig, hasValidation: boolean) {
  switch (config.scheduler) {
    case 'step':
      return new StepLR(optimizer, { stepSize: config.lrStep, gamma: config.lrFactor });
    case 'paper':
      return paperSchedule(optimizer, config.epochs);
    case 'plateau':
      return new ReduceLROnPlateau(optimizer, {
        mode: hasValidation ? 'max' : 'min',
        factor: config.lrFactor,
        patience: config.lrPatience,
      });
  }
}

/** The loss of the model's head: logistic units, or softmax with --label-smoothing. */
export function trainingLoss(model: AlexNet, config: TrainConfig): LossFunction {
  return model.options.head === 'sigmoid'
    ? (logits, labels) => sigmoidCrossEntropy(logits, labels)
    : (logits, labels) => softmaxCrossEntropy(logits, labels, { labelSmoothing: config.labelSmoothing });
}
