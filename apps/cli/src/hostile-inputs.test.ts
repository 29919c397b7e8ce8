import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeSafetensors } from '@alexnet/torch-io';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Odd and hostile inputs to the built command, in a child process, as a user gives them (issue 14).
const bin = new URL('../dist/bin.js', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'alexnet-hostile-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function alexnet(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { cwd: tmp, env: { ...process.env, XDG_CACHE_HOME: join(tmp, 'cache') }, maxBuffer: 1 << 26 },
      (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

/** The one `alexnet: ...` line a refused command prints, with nothing else on stderr. */
const oneLine = (message: RegExp) => new RegExp(`^alexnet: ${message.source}\\n$`);

const data = join(tmp, 'data');
const run = join(tmp, 'run');
// One optimiser step of the real V2 network: 64-pixel inputs (adaptive pooling), 2 images of 2 classes.
const tiny = [
  ...['--data', data, '--model', 'alexnet_v2', '--image-size', '64', '--adaptive-pool', '--epochs', '1'],
  ...['--classes', '2', '--per-class', '1', '--batch-size', '2', '--workers', '1', '--no-validate-first'],
  ...['--backend', 'wasm'],
];

beforeAll(async () => {
  const args = ['--out', data, '--classes', '4', '--train-per-class', '2', '--val-per-class', '1'];
  const result = await alexnet('data', 'synth', ...args);
  expect(result.code, result.stderr).toBe(0);
});

describe('alexnet, given odd flags and settings', () => {
  it('reads negative numbers as flag values and checks them, and parses numbers strictly', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['train', '--lr', '-1'], /--lr must be a number of at least 0, got "-1"/],
      [['train', '--lr', '-.5'], /--lr must be a number of at least 0, got "-\.5"/],
      [['train', '--epochs', '-5'], /--epochs must be an integer of at least 1, got "-5"/],
      [['train', '--epochs', '0x10'], /--epochs must be an integer of at least 1, got "0x10"/],
      [['train', '--lr', ''], /--lr must be a number of at least 0, got ""/],
      [['train', '--seed', '1.5'], /--seed must be an integer, got "1\.5"/],
      [
        ['train', '--epochs', '100000000000000000000'],
        /--epochs must be an integer of at least 1, within ±9007199254740991, got "100000000000000000000"/,
      ],
      [
        ['train', '--image-size', '99999'],
        /--image-size must be an integer of at least 1 and at most 4096, got "99999"/,
      ],
      [
        ['eval', '--data', '.', '--image-size', '99999'],
        /--image-size must be an integer of at least 1 and at most 4096, got "99999"/,
      ],
      [
        ['train', '--model', 'bogus'],
        /--model must be one of alexnet_torchvision, alexnet_v1, alexnet_v2, got "bogus"/,
      ],
      [['eval', '--data', '.', '--model', 'bogus'], /--model must be one of .*, got "bogus"/],
      [['predict', 'x.jpg', '--model', 'bogus'], /--model must be one of .*, got "bogus"/],
      [['convert', 'a.pth', 'b.pth', '--model', 'bogus'], /--model must be one of .*, got "bogus"/],
      [['summary', 'bogus'], /summary: unknown model "bogus" \(one of alexnet_torchvision, alexnet_v1, alexnet_v2\)/],
      [['train', '--seed', '-1e300'], /--seed must be an integer, within ±9007199254740991, got "-1e300"/],
      [['data', 'synth', '--classes', '-2'], /--classes must be an integer of at least 2, got "-2"/],
      [['train', '--dropout', '1'], /--dropout must be a number of at least 0 and below 1, got "1"/],
      [['train', '--dropout', '1.5'], /--dropout must be a number of at least 0 and below 1, got "1\.5"/],
      [['train', '--label-smoothing', '2'], /--label-smoothing must be a number of at least 0 and at most 1, got "2"/],
    ];
    for (const [args, message] of cases) {
      const result = await alexnet(...args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(oneLine(message));
    }
  });

  it('checks a config file with the rules of the flags, naming the file and the key', async () => {
    const config = join(tmp, 'settings.yaml');
    const cases: Array<[string, RegExp]> = [
      ['epochs: -5', /"epochs" must be an integer of at least 1, got -5/],
      ['lr: .inf', /"lr" must be a number of at least 0, got \.inf/],
      ['lr: .nan', /"lr" must be a number of at least 0, got \.nan/],
      ['momentum: -.inf', /"momentum" must be a number of at least 0, got -\.inf/],
      ['seed: 1.5', /"seed" must be an integer, got 1\.5/],
      ['dropout: 1', /"dropout" must be a number of at least 0 and below 1, got 1/],
      ['scheduler: bogus', /"scheduler" must be one of plateau, step, paper, got "bogus"/],
      ['recipe: x', /"recipe" must be one of reference, paper, torchvision, got "x"/],
      ['data: 123', /"data" must be a string, got 123/],
      ['epochs: "5"', /"epochs" must be an integer of at least 1, got "5"/],
      ['adaptive-pool: yes please', /"adaptive-pool" must be a boolean, got "yes please"/],
      ['wrokers: 2', /unknown setting "wrokers"/],
    ];
    for (const [text, message] of cases) {
      writeFileSync(config, `${text}\n`);
      const result = await alexnet('train', '--config', config);
      expect(result.code, text).toBe(2);
      expect(result.stderr, text).toMatch(oneLine(new RegExp(`${config}: ${message.source}`)));
    }
  });

  it('answers `alexnet data` without a subcommand with its usage and exit 2', async () => {
    const result = await alexnet('data');
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/^Usage: alexnet data synth \[options\]\n\s+alexnet data check <dir>/);
    expect((await alexnet('data', '--help')).code).toBe(0);
  });

  it('refuses --classes beyond the classes the dataset has, naming how many it found', async () => {
    const result = await alexnet('train', ...tiny, '--classes', '99');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/(^|\n)alexnet: --classes 99: .*train has 4 classes \(use at most that many\)\n$/);
  });
});

describe('alexnet train --out', () => {
  it('refuses a folder that holds a run, unless --overwrite (which says what it replaces)', async () => {
    // A folder with other files is no run: training there is fine, and leaves them.
    mkdirSync(run);
    writeFileSync(join(run, 'notes.txt'), 'mine');
    const first = await alexnet('train', ...tiny, '--out', run);
    expect(first.code, first.stderr).toBe(0);
    const metrics = readFileSync(join(run, 'metrics.jsonl'), 'utf8');
    const config = readFileSync(join(run, 'config.json'), 'utf8');

    const refused = await alexnet('train', ...tiny, '--out', run, '--lr', '0.5');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      oneLine(
        /--out .*run already holds a run \(best\.safetensors, config\.json, last\.safetensors, metrics\.jsonl, report\.html\): pass --resume .*run to continue it, or --overwrite to replace it/,
      ),
    );
    expect(readFileSync(join(run, 'metrics.jsonl'), 'utf8')).toBe(metrics);
    expect(readFileSync(join(run, 'config.json'), 'utf8')).toBe(config);

    const replaced = await alexnet('train', ...tiny, '--out', run, '--lr', '0.5', '--overwrite');
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(replaced.stderr).toMatch(
      /--overwrite: replacing the run in .*run: best\.safetensors, config\.json, last\.safetensors, metrics\.jsonl, report\.html\n/,
    );
    const epochs = readFileSync(join(run, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
      .filter((line) => line.type === 'epoch');
    expect(epochs.map((e: { epoch: number }) => e.epoch)).toEqual([1]);
    expect(JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')).lr).toBe(0.5);
    expect(readFileSync(join(run, 'notes.txt'), 'utf8')).toBe('mine');

    // Resuming it with --out naming another folder is refused, not ignored; nothing is written there.
    const elsewhere = join(tmp, 'elsewhere');
    const misdirected = await alexnet('train', '--resume', run, '--out', elsewhere, '--epochs', '2');
    expect(misdirected.code).toBe(2);
    expect(misdirected.stderr).toMatch(
      oneLine(
        /--out .*elsewhere: a resumed run continues in its checkpoint's folder .*run \(leave --out out, or point it there\)/,
      ),
    );
    expect(existsSync(elsewhere)).toBe(false);
  });
});

describe('alexnet train, given --out and --val that cannot be used', () => {
  it('names a dangling link or a file on the way to --out, and a file as --val, with one line', async () => {
    symlinkSync(join(tmp, 'nowhere', 'at-all'), join(tmp, 'dangling-out'));
    writeFileSync(join(tmp, 'a-file'), 'mine');
    const cases: Array<[string[], RegExp]> = [
      [
        ['--out', join(tmp, 'dangling-out')],
        /--out .*dangling-out: .*dangling-out is a dangling symbolic link \(to .*nowhere\/at-all\)/,
      ],
      [['--out', join(tmp, 'a-file', 'run')], /--out .*a-file\/run: .*a-file is a file, not a folder/],
      [['--val', join(tmp, 'a-file')], /--val must be a folder, got the file .*a-file/],
    ];
    for (const [args, message] of cases) {
      const result = await alexnet('train', ...tiny, ...args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(
        result.stderr.split('\n').filter((line) => line.startsWith('alexnet:')),
        args.join(' '),
      ).toHaveLength(1);
      expect(result.stderr, args.join(' ')).toMatch(new RegExp(`(^|\\n)alexnet: ${message.source}\\n$`));
    }
  });
});

describe('alexnet train, given bad files', () => {
  it('replaces a bad training image, leaves a bad validation image out, and counts both on the epoch line', async () => {
    const root = join(tmp, 'bad-data');
    const made = await alexnet(
      'data',
      'synth',
      '--out',
      root,
      '--classes',
      '2',
      '--train-per-class',
      '2',
      '--val-per-class',
      '2',
    );
    expect(made.code, made.stderr).toBe(0);
    const trainImage = join(
      root,
      'train',
      readdirSync(join(root, 'train'))[0],
      readdirSync(join(root, 'train', readdirSync(join(root, 'train'))[0]))[0],
    );
    const valImage = join(root, 'val', readdirSync(join(root, 'val')).sort()[0]);
    for (const path of [trainImage, valImage]) writeFileSync(path, readFileSync(path).subarray(0, 40)); // truncated
    // A newline in the training file's name: its line must stay one line.
    const oddImage = join(dirname(trainImage), 'odd\nname.JPEG');
    renameSync(trainImage, oddImage);
    const result = await alexnet(
      'train',
      ...['--data', root, '--model', 'alexnet_v2', '--image-size', '64', '--adaptive-pool', '--epochs', '1'],
      ...[
        '--batch-size',
        '4',
        '--workers',
        '1',
        '--no-validate-first',
        '--backend',
        'wasm',
        '--out',
        join(tmp, 'bad-run'),
      ],
    );
    expect(result.code, result.stderr).toBe(0);
    const output = result.stdout + result.stderr;
    expect(output).toContain(`replacing the bad file ${dirname(trainImage)}/odd\\nname.JPEG: `);
    expect(output).toContain(`skipping the bad file ${valImage}: `);
    expect(output).toMatch(
      /epoch 1\/1 \| train loss [\d.]+ top-1 [\d.]+%, 1 bad file replaced \| val loss [\d.]+ top-1 [\d.]+% top-5 [\d.]+%, 1 bad file skipped \|/,
    );
    // Validation scored the three images it could read, each once.
    expect(output).toMatch(/Validation top-1 [\d.]+%, top-5 [\d.]+% \(3 images\)/);
    expect(output).toMatch(/Loader: 1 worker threads/);
  }, 120_000);
});

describe('alexnet predict, given bad images among good ones', () => {
  it('predicts the good ones, names each bad one on its own line, and exits 2', async () => {
    const good = join(data, 'train', 'n90000001', 'n90000001_1.JPEG');
    const cut = join(tmp, 'cut.JPEG');
    writeFileSync(cut, readFileSync(good).subarray(0, 40));
    const text = join(tmp, 'notes\nnot-an-image.jpg');
    writeFileSync(text, 'hello');
    const args = ['predict', cut, good, text, '--model', 'alexnet_torchvision', '--top-k', '3', '--backend', 'cpu'];
    const plain = await alexnet(...args);
    expect(plain.code, plain.stderr).toBe(2);
    // The good image's predictions, and only them, on stdout.
    expect(plain.stdout.split('\n')[0]).toBe(good);
    expect(plain.stdout.trimEnd().split('\n')).toHaveLength(4);
    // Each bad file on one line, a newline in its name escaped.
    expect(plain.stderr).toMatch(new RegExp(`(^|\\n)alexnet: Cannot read ${cut.replace(/[.]/g, '\\.')}: .+\\n`));
    expect(plain.stderr).toMatch(/(^|\n)alexnet: Cannot read .*notes\\nnot-an-image\.jpg: .+\n/);
    const json = await alexnet(...args, '--json');
    expect(json.code).toBe(2);
    const results = JSON.parse(json.stdout.trim().split('\n').pop() as string);
    expect(results.map((r: { image: string }) => r.image)).toEqual([cut, good, text]);
    expect(results[0].error).toMatch(/^Cannot read /);
    expect(results[1].predictions).toHaveLength(3);
    expect(results[2].error).toMatch(/^Cannot read /);
  }, 120_000);
});

describe('alexnet, given odd weight files', () => {
  it('prints the missing, unexpected and mis-shaped keys of a state dict, bounded', async () => {
    const tensors: Record<string, { dtype: 'float32'; shape: number[]; data: Float32Array }> = {
      'features.0.weight': { dtype: 'float32', shape: [2, 2], data: new Float32Array(4) },
    };
    for (let i = 0; i < 14; i++) tensors[`junk.${i}`] = { dtype: 'float32', shape: [1], data: new Float32Array(1) };
    const path = join(tmp, 'odd-keys.safetensors');
    writeFileSync(path, writeSafetensors(tensors, { model: 'alexnet_v2' }));
    const image = join(data, 'train', 'n90000001', 'n90000001_1.JPEG');
    const result = await alexnet('predict', image, '--weights', path, '--backend', 'cpu');
    expect(result.code).toBe(1);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^alexnet: Cannot load .*odd-keys\.safetensors into alexnet_v2: Error\(s\) in loading/);
    // V2 has 16 parameters: 15 missing, 14 unexpected: ten of each, then the count of the rest.
    expect(result.stderr).toMatch(/\n {2}missing keys: features\.0\.bias, .*, and 5 more\n/);
    expect(result.stderr).toMatch(/\n {2}unexpected keys: junk\.0, junk\.1, .*junk\.9, and 4 more\n/);
    expect(result.stderr).toMatch(/\n {2}features\.0\.weight: shape \[2, 2\] in the state dict, \[\d+, 3, \d+, \d+\]/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('warns of NaN and infinite weights on load, and refuses to predict or evaluate with them', async () => {
    // The run trained above, as plain weights, with one NaN and one infinity written into two of its tensors.
    const clean = join(tmp, 'clean.safetensors');
    const converted = await alexnet('convert', join(run, 'last.safetensors'), clean, '--model', 'alexnet_v2');
    expect(converted.code, converted.stderr).toBe(0);
    const bytes = new Uint8Array(readFileSync(clean));
    const view = new DataView(bytes.buffer);
    const headerLength = Number(view.getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
    const dataStart = 8 + headerLength;
    const names = Object.keys(header);
    const conv = names.filter((name) => /^features\.\d+\.weight$/.test(name))[1];
    const bias = names.filter((name) => /^classifier\.\d+\.bias$/.test(name)).at(-1) as string;
    view.setFloat32(dataStart + header[conv].data_offsets[0] + 4 * 7, Number.NaN, true);
    view.setFloat32(dataStart + header[bias].data_offsets[0], Number.POSITIVE_INFINITY, true);
    const poisoned = join(tmp, 'poisoned.safetensors');
    writeFileSync(poisoned, bytes);

    const image = join(data, 'train', 'n90000001', 'n90000001_1.JPEG');
    const predicted = await alexnet('predict', image, '--weights', poisoned, '--adaptive-pool', '--backend', 'wasm');
    expect(predicted.code).toBe(1);
    expect(predicted.stdout).not.toMatch(/NaN/);
    expect(predicted.stderr).toMatch(
      new RegExp(
        `(^|\\n)alexnet: warning: .*poisoned\\.safetensors holds non-finite weights: ${conv} \\(1 NaN\\), ${bias} \\(1 infinite\\)\\n`,
      ),
    );
    expect(predicted.stderr).toMatch(/\nalexnet: .*poisoned\.safetensors: cannot predict with NaN or infinite weights/);

    const evalArgs = ['--data', join(data, 'val'), '--weights', poisoned, '--image-size', '64', '--backend', 'wasm'];
    const evaluated = await alexnet('eval', ...evalArgs);
    expect(evaluated.code).toBe(1);
    expect(evaluated.stdout).not.toMatch(/NaN/);
    expect(evaluated.stderr).toMatch(
      /\nalexnet: .*poisoned\.safetensors: cannot evaluate with NaN or infinite weights/,
    );

    // Converting them is allowed (with the warning): the file may be the evidence.
    const copied = await alexnet('convert', poisoned, join(tmp, 'poisoned.pth'));
    expect(copied.code, copied.stderr).toBe(0);
    expect(copied.stderr).toMatch(/warning: .*poisoned\.safetensors holds non-finite weights/);
    expect(existsSync(join(tmp, 'poisoned.pth'))).toBe(true);
  });
});

describe('alexnet convert, given an output that is there or cannot be', () => {
  it('refuses to write over a file (unless --overwrite), over its input, or into a missing folder', async () => {
    const input = join(tmp, 'convert-in.safetensors');
    writeFileSync(input, writeSafetensors({ w: { dtype: 'float32', shape: [2], data: Float32Array.of(1, 2) } }));
    const output = join(tmp, 'convert-out.pth');
    writeFileSync(output, 'mine');
    const cases: Array<[string[], RegExp]> = [
      [[input, output], /.*convert-out\.pth already exists: pass --overwrite to replace it/],
      [
        [input, input, '--overwrite'],
        /.*convert-in\.safetensors is the input file: write the conversion to another file/,
      ],
      [[input, join(tmp, 'no-such-folder', 'w.pth')], /.*w\.pth: the folder .*no-such-folder does not exist/],
      [[input, join(output, 'w.pth')], /.*w\.pth: .*convert-out\.pth is not a folder/],
    ];
    mkdirSync(join(tmp, 'a-folder.pth'));
    cases.push([[input, join(tmp, 'a-folder.pth'), '--overwrite'], /.*a-folder\.pth is a folder, not a file to write/]);
    for (const [args, message] of cases) {
      const result = await alexnet('convert', ...args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(oneLine(message));
    }
    expect(readFileSync(output, 'utf8')).toBe('mine');
    const replaced = await alexnet('convert', input, output, '--overwrite');
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(readFileSync(output).byteLength).toBeGreaterThan(100);
  });
});

describe('alexnet eval, given an ImageNet root', () => {
  it('scores its val/ (not its train/), and refuses a root without val/, naming the folders', async () => {
    const scored = await alexnet(
      ...['eval', '--data', data, '--model', 'alexnet_v2', '--adaptive-pool', '--image-size', '64'],
      ...['--backend', 'wasm', '--json'],
    );
    expect(scored.code, scored.stderr).toBe(0);
    expect(JSON.parse(scored.stdout)).toMatchObject({ data: join(data, 'val'), count: 4 });

    const root = join(tmp, 'train-only');
    mkdirSync(join(root, 'train', 'n1'), { recursive: true });
    writeFileSync(
      join(root, 'train', 'n1', 'a.JPEG'),
      readFileSync(join(data, 'train', 'n90000001', 'n90000001_1.JPEG')),
    );
    const refused = await alexnet('eval', '--data', root, '--model', 'alexnet_v2', '--backend', 'wasm');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      oneLine(
        /--data .*train-only is an ImageNet root without val\/: pass the folder to score \(.*train-only\/train for the training images\)/,
      ),
    );
  });
});
