import type { TrainingState } from './checkpoint.js';
import type { EpochRecord } from './events.js';

/** Metric names {@link FitOptions.monitor} can follow. */
export type MonitoredMetric = `${'train' | 'val'}.${'loss' | 'top1' | 'top5'}`;

/** The value of `metric` in an epoch's record. */
export function metricValue(record: EpochRecord, metric: MonitoredMetric): number {
  const [split, name] = metric.split('.') as ['train' | 'val', 'loss' | 'top1' | 'top5'];
  const result = record[split];
  if (!result) throw new Error(`Cannot monitor ${metric}: there is no validation data`);
  return result[name];
}

/** Whether `value` of `metric` beats the best so far: lower is better for a loss, higher for an accuracy; NaN never. */
export function improves(value: number, best: TrainingState['best'], metric: MonitoredMetric): boolean {
  const higherIsBetter = !metric.endsWith('loss');
  return Number.isFinite(value) && (best === null || (higherIsBetter ? value > best.value : value < best.value));
}
