import type { Module, Shape } from './module.js';

/** One leaf layer of a {@link ModelSummary}. */
export interface SummaryRow {
  /** Dotted name (`features.0`). */
  name: string;
  /** Layer class (`Conv2d`). */
  type: string;
  /** Output shape with a batch dimension of -1, NHWC. */
  outputShape: number[];
  /** Scalar parameters of this layer. */
  parameters: number;
  /** Multiply-adds for one input. */
  multiplyAdds: number;
}

/** A model's layer table and totals, from {@link summary}. */
export interface ModelSummary {
  inputShape: number[];
  rows: SummaryRow[];
  totalParameters: number;
  totalMultiplyAdds: number;
  /** The table as text, one layer a line, with totals. */
  toString(): string;
}

/**
 * Layer table of `model` for one input of `inputShape` (`[height, width, channels]`, or with a leading batch
 * dimension, which is ignored), computed from shapes alone: nothing runs and no memory is used. `title` heads the
 * table (default the module's type).
 */
export function summary(model: Module, inputShape: Shape, options: { title?: string } = {}): ModelSummary {
  const sample = inputShape.length === 4 ? inputShape.slice(1) : [...inputShape];
  const rows: SummaryRow[] = [];
  const visit = (module: Module, name: string, input: Shape): number[] => {
    const children = module.namedChildren();
    if (children.length === 0) {
      const output = module.outputShape(input);
      rows.push({
        name,
        type: module.typeName,
        outputShape: [-1, ...output],
        parameters: module.numParameters(),
        multiplyAdds: module.multiplyAdds(input),
      });
      return output;
    }
    let shape: Shape = input;
    for (const [childName, child] of children) shape = visit(child, name ? `${name}.${childName}` : childName, shape);
    return [...shape];
  };
  visit(model, '', sample);
  const totalParameters = model.numParameters();
  const totalMultiplyAdds = rows.reduce((sum, row) => sum + row.multiplyAdds, 0);
  return {
    inputShape: [-1, ...sample],
    rows,
    totalParameters,
    totalMultiplyAdds,
    toString: () => formatSummary(options.title ?? model.typeName, sample, rows, totalParameters, totalMultiplyAdds),
  };
}

function formatSummary(
  title: string,
  input: readonly number[],
  rows: SummaryRow[],
  totalParameters: number,
  totalMultiplyAdds: number,
): string {
  const table = [
    ['Layer', 'Type', 'Output shape', 'Params', 'Mult-adds'],
    ['input', '', `[-1, ${input.join(', ')}]`, '', ''],
    ...rows.map((r) => [
      r.name,
      r.type,
      `[${r.outputShape.join(', ')}]`,
      r.parameters ? group(r.parameters) : '-',
      r.multiplyAdds ? group(r.multiplyAdds) : '-',
    ]),
  ];
  const widths = table[0].map((_, col) => Math.max(...table.map((row) => row[col].length)));
  const line = (row: string[]) =>
    row.map((cell, col) => (col >= 3 ? cell.padStart(widths[col]) : cell.padEnd(widths[col]))).join('  ');
  const rule = '-'.repeat(widths.reduce((a, b) => a + b + 2, -2));
  return [
    `${title} (input NHWC [-1, ${input.join(', ')}])`,
    rule,
    line(table[0]),
    rule,
    ...table.slice(1).map(line),
    rule,
    `Total parameters: ${group(totalParameters)}`,
    `Total multiply-adds: ${group(totalMultiplyAdds)} (${(totalMultiplyAdds / 1e9).toFixed(2)} G) per image`,
  ].join('\n');
}

function group(n: number): string {
  return n.toLocaleString('en-US');
}
