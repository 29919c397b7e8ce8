import { describe, expect, it } from 'vitest';
import { UsageError } from './errors.js';
import { helpText } from './help.js';
import { type OptionTable, parseOptions, withDefaults } from './options.js';

const TABLE = {
  data: { type: 'string', value: '<dir>', required: true, help: 'the images' },
  batchSize: { type: 'integer', min: 1, default: 64, help: 'images a batch' },
  lr: { type: 'number', value: '<x>', min: 0, default: 0.01, help: 'learning rate' },
  sizes: { type: 'integers', min: 1, default: [32], help: 'batch sizes' },
  head: { type: 'choice', value: '<kind>', choices: ['softmax', 'sigmoid'], default: 'softmax', help: 'units' },
  validateFirst: { type: 'boolean', flag: 'no-validate-first', negated: true, default: true, help: 'skip it' },
  quiet: { type: 'boolean', short: 'q', help: 'say less' },
  workers: { type: 'integer', min: 0, help: 'threads', defaultText: 'one a core' },
} as const satisfies OptionTable;

const parse = (...argv: string[]) => parseOptions('demo', argv, TABLE, { positionals: true });

describe('parseOptions', () => {
  it('converts each flag by its type into the setting its key names', () => {
    const { given, positionals } = parse(
      ...['--data', 'd', '--batch-size', '8', '--lr', '1e-3', '--sizes', '2, 4', '--head', 'sigmoid'],
      ...['--no-validate-first', '-q', 'extra'],
    );
    expect(given).toEqual({
      data: 'd',
      batchSize: 8,
      lr: 0.001,
      sizes: [2, 4],
      head: 'sigmoid',
      validateFirst: false,
      quiet: true,
    });
    expect(positionals).toEqual(['extra']);
    expect(withDefaults(TABLE, { data: 'd' })).toEqual({
      data: 'd',
      batchSize: 64,
      lr: 0.01,
      sizes: [32],
      head: 'softmax',
      validateFirst: true,
      quiet: undefined,
      workers: undefined,
    });
  });

  it('answers a bad flag with a usage error naming it', () => {
    const cases: Array<[string[], string]> = [
      [['--data', 'd', '--bogus'], "Unknown option '--bogus' (see 'alexnet demo --help')"],
      [['--data', 'd', '--batch-size', '0'], '--batch-size must be an integer of at least 1, got "0"'],
      [['--data', 'd', '--batch-size', '2.5'], '--batch-size must be an integer of at least 1, got "2.5"'],
      [['--data', 'd', '--lr=-1'], '--lr must be a number of at least 0, got "-1"'],
      [['--data', 'd', '--sizes', '2,x'], '--sizes must be an integer of at least 1, got "x"'],
      [['--data', 'd', '--head', 'tanh'], '--head must be one of softmax, sigmoid, got "tanh"'],
      [
        ['--data', 'd', '--backend', 'gpu'],
        '--backend must be one of auto, tensorflow-gpu, webgpu, tensorflow, native, wasm, cpu, got "gpu"',
      ],
      [['--lr', '1'], 'demo needs --data <dir> (see alexnet demo --help)'],
    ];
    for (const [argv, message] of cases) {
      let error: unknown;
      try {
        parse(...argv);
      } catch (e) {
        error = e;
      }
      expect(error, argv.join(' ')).toBeInstanceOf(UsageError);
      expect((error as UsageError).message, argv.join(' ')).toBe(message);
      expect((error as UsageError).exitCode).toBe(2);
    }
  });

  it('says the bounds of a number as they read: at least, above, at most, below', () => {
    const bounded = {
      width: { type: 'number', value: '<x>', above: 0, max: 16, default: 1, help: 'multiplier' },
      dropout: { type: 'number', value: '<p>', min: 0, below: 1, default: 0.5, help: 'probability' },
    } as const satisfies OptionTable;
    const problem = (...argv: string[]) => {
      try {
        parseOptions('demo', argv, bounded);
      } catch (error) {
        return (error as UsageError).message;
      }
      return null;
    };
    expect(problem('--width', '0')).toBe('--width must be a number above 0 and at most 16, got "0"');
    expect(problem('--width', '16.5')).toBe('--width must be a number above 0 and at most 16, got "16.5"');
    expect(problem('--width', '16')).toBeNull();
    expect(problem('--width', '0.001')).toBeNull();
    expect(problem('--dropout', '1')).toBe('--dropout must be a number of at least 0 and below 1, got "1"');
    expect(problem('--dropout', '0')).toBeNull();
  });

  it('stops at --help before checking values, and takes the common flags every command takes', () => {
    expect(parse('--batch-size', 'many', '--help')).toEqual({ help: true, given: {}, positionals: [] });
    // --debug and --backend are accepted (and checked) but are not this table's settings.
    expect(parse('--data', 'd', '--debug', '--backend', 'cpu').given).toEqual({ data: 'd' });
  });
});

describe('helpText', () => {
  it('lists every option of its tables in order, with its value, choices and default', () => {
    const text = helpText({ usage: 'Usage: alexnet demo', description: 'Does a demo.', options: [TABLE] });
    expect(text.split('\n')).toEqual([
      'Usage: alexnet demo',
      '',
      'Does a demo.',
      '',
      '  --data <dir>            the images',
      '  --batch-size <n>        images a batch (default 64)',
      '  --lr <x>                learning rate (default 0.01)',
      '  --sizes <n>             batch sizes (default 32)',
      '  --head <kind>           units: softmax | sigmoid (default softmax)',
      '  --no-validate-first     skip it',
      '  -q, --quiet             say less',
      '  --workers <n>           threads (default one a core)',
      '',
    ]);
  });
});
