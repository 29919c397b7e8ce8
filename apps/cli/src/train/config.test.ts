import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULTS, readConfigFile, resolveConfig, resumedConfig } from './config.js';

const tmp = mkdtempSync(join(tmpdir(), 'alexnet-config-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}

describe('train settings', () => {
  it('default to the seed article, in the order config.json records them', () => {
    expect(Object.entries(DEFAULTS)).toEqual(
      Object.entries({
        model: 'alexnet_v2',
        data: null,
        val: null,
        recipe: 'reference',
        epochs: 90,
        batchSize: 128,
        lr: 0.01,
        momentum: 0.9,
        weightDecay: 5e-4,
        scheduler: 'plateau',
        lrFactor: 0.1,
        lrPatience: 10,
        lrStep: 30,
        imageSize: 224,
        adaptivePool: false,
        width: 1,
        lrn: null,
        init: 'pytorch',
        head: 'softmax',
        dropout: 0.5,
        labelSmoothing: 0,
        workers: availableParallelism(),
        gradAccum: 1,
        seed: 0,
        validateFirst: true,
        tenCrop: false,
        classes: null,
        perClass: null,
        resume: null,
        weights: null,
        out: null,
        backend: 'auto',
        adapter: null,
      }),
    );
  });

  it('without --data take the embedded demo over the recipe; flags win over everything', () => {
    const demo = resolveConfig({});
    expect(demo).toMatchObject({ epochs: 15, batchSize: 32, imageSize: 64, init: 'kaiming', scheduler: 'step' });
    expect(resolveConfig({ data: '/d' })).toMatchObject({ epochs: 90, batchSize: 128, init: 'pytorch' });
    expect(resolveConfig({ data: '/d', recipe: 'torchvision', batchSize: 8 })).toMatchObject({
      model: 'alexnet_torchvision',
      weightDecay: 1e-4,
      scheduler: 'step',
      batchSize: 8,
      recipe: 'torchvision',
    });
  });

  it('apply the paper recipe per model: the 2014 schedule on V2 only, unless a flag or the file says otherwise', () => {
    expect(resolveConfig({ data: '/d', recipe: 'paper' })).toMatchObject({
      model: 'alexnet_v2',
      scheduler: 'paper',
      head: null,
      lrn: 'paper',
      init: 'paper',
      tenCrop: true,
      lrPatience: 3,
    });
    expect(resolveConfig({ data: '/d', recipe: 'paper', model: 'alexnet_v1' }).scheduler).toBe('plateau');
    expect(resolveConfig({ data: '/d', recipe: 'paper', scheduler: 'step' }).scheduler).toBe('step');
    const v1 = file('v1.yaml', 'model: alexnet_v1\nrecipe: paper\n');
    expect(resolveConfig({ data: '/d' }, v1)).toMatchObject({ model: 'alexnet_v1', scheduler: 'plateau' });
    // The demo's step schedule stays, as before.
    expect(resolveConfig({ recipe: 'paper' }).scheduler).toBe('step');
  });

  it('on resume are the run’s own, with the flags on top', () => {
    const saved = { ...DEFAULTS, epochs: 3, lr: 0.1, data: '/d' };
    expect(resumedConfig(saved, { epochs: 5 }, '/run')).toMatchObject({ epochs: 5, lr: 0.1, resume: '/run' });
  });

  it('on resume check the recorded settings as a config file’s, leaving out what is no setting', () => {
    const saved = { ...DEFAULTS, data: '/d', backendUsed: { name: 'wasm' } };
    expect(resumedConfig(saved, {}, '/run')).not.toHaveProperty('backendUsed');
    expect(() => resumedConfig({ ...saved, scheduler: 'bogus' }, {}, '/run')).toThrow(
      /^\/run: the run's recorded setting "scheduler" must be one of plateau, step, paper, got "bogus"$/,
    );
    expect(() => resumedConfig({ ...saved, lr: Number.POSITIVE_INFINITY }, {}, '/run')).toThrow(
      /"lr" must be a number of at least 0, got \.inf$/,
    );
  });
});

describe('--config files', () => {
  it('read kebab- or camel-case names, checked like the flags', () => {
    const path = file('ok.yaml', 'batch-size: 16\nweightDecay: 0.001\nhead: null\ndata: /d\n');
    expect(readConfigFile(path)).toEqual({ batchSize: 16, weightDecay: 0.001, head: null, data: '/d' });
    expect(resolveConfig({ batchSize: 4 }, path)).toMatchObject({ batchSize: 4, weightDecay: 0.001, data: '/d' });
  });

  it('name the file and the setting in every error', () => {
    const cases: Array<[string, RegExp]> = [
      ['bogus: 1\n', /bad\.yaml: unknown setting "bogus"$/],
      ['epochs: ten\n', /bad\.yaml: "epochs" must be an integer of at least 1, got "ten"$/],
      ['epochs: 2.5\n', /bad\.yaml: "epochs" must be an integer of at least 1, got 2\.5$/],
      ['epochs: null\n', /bad\.yaml: "epochs" must be an integer of at least 1, got null$/],
      ['adaptive-pool: 1\n', /bad\.yaml: "adaptive-pool" must be a boolean, got 1$/],
      ['recipe: fancy\n', /bad\.yaml: "recipe" must be one of reference, paper, torchvision, got "fancy"$/],
      ['data: 3\n', /bad\.yaml: "data" must be a string, got 3$/],
      ['- a\n', /bad\.yaml must hold a mapping of settings/],
      ['a: [\n', /bad\.yaml is not valid YAML/],
      ['epochs: 1\nepochs: 2\n', /bad\.yaml is not valid YAML: Map keys must be unique at line 2, column 1$/],
      ['batch-size: 2\nbatchSize: 4\n', /bad\.yaml: "batch-size" and "batchSize" are one setting, given twice$/],
      ['data: !!js/function "f"\n', /bad\.yaml is not valid YAML: Unresolved tag: tag:yaml\.org,2002:js\/function/],
    ];
    for (const [text, message] of cases) {
      expect(() => readConfigFile(file('bad.yaml', text)), text).toThrow(message);
    }
    expect(() => readConfigFile(join(tmp, 'missing.yaml'))).toThrow(/^Config file not found: .*missing\.yaml$/);
    mkdirSync(join(tmp, 'folder.yaml'));
    expect(() => readConfigFile(join(tmp, 'folder.yaml'))).toThrow(/^--config .*folder\.yaml is a folder$/);
    execFileSync('mkfifo', [join(tmp, 'fifo.yaml')]);
    expect(() => readConfigFile(join(tmp, 'fifo.yaml'))).toThrow(/^--config .*fifo\.yaml is not a regular file$/);
  });
});
