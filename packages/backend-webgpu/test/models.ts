/**
 * The small-width AlexNets of the models' PyTorch parity fixtures (packages/alexnet/fixtures, written by
 * scripts/fixtures/pytorch_reference.py): configs, weights, inputs, and the logits and gradients PyTorch computed.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ALEXNET_TORCHVISION, ALEXNET_V1, ALEXNET_V2, AlexNet, type AlexNetArchitecture } from '@alexnet/models';
import { type RawTensor, readSafetensors } from '@alexnet/torch-io';

/** The fixtures folder of `@alexnet/models` (in the workspace; the published package leaves it out). */
const FIXTURES = join(dirname(createRequire(import.meta.url).resolve('@alexnet/models/package.json')), 'fixtures');

/** A fixture file's path. */
export const fixturePath = (name: string): string => join(FIXTURES, name);

interface CaseConfig {
  family: 'article' | 'torchvision';
  convs: [number, number, number, number, number];
  lrn: 'reference' | 'paper' | null;
  side: number;
  hidden: number;
  classes: number;
}

/** The parity cases: the article's V1 and V2 with either LRN, torchvision's at 224 and 127 pixels. */
export const CASES = ['v1_reference', 'v1_paper', 'v2_reference', 'v2_paper', 'torchvision', 'torchvision_127'];

/** A fixture case: the model built at its widths (seed 0), its config and what PyTorch computed. */
export function buildCase(name: string): { model: AlexNet; config: CaseConfig; expected: Record<string, RawTensor> } {
  const file = readSafetensors(new Uint8Array(readFileSync(fixturePath(`${name}.expected.safetensors`))));
  const config = JSON.parse(file.metadata.config) as CaseConfig;
  const base = config.family === 'torchvision' ? ALEXNET_TORCHVISION : name.startsWith('v1') ? ALEXNET_V1 : ALEXNET_V2;
  const architecture: AlexNetArchitecture = {
    ...base,
    convs: base.convs.map((stage, i) => ({ ...stage, out: config.convs[i] })),
    hidden: base.hidden.map(() => config.hidden),
  };
  const model = new AlexNet(architecture, { numClasses: config.classes, lrn: config.lrn ?? 'none', seed: 0 });
  return { model, config, expected: file.tensors };
}

/** The fixtures' input batch (NCHW, as PyTorch took it) of `side` pixels. */
export function fixtureInput(side: number): RawTensor {
  return readSafetensors(new Uint8Array(readFileSync(fixturePath(`input${side}.safetensors`)))).tensors.input;
}
