#!/usr/bin/env node
// Writes the generated pages of the docs site (never edited by hand; ignored by git):
//   docs/api/**      the API reference of every package, from TSDoc, by TypeDoc + typedoc-plugin-markdown
//   docs/cli.md      the CLI reference, from the built `alexnet` command's own --help
//   docs/models/*.md one page a model: layer table from summary(), parameters, multiply-adds, a diagram, and the
//                    model's entries of the weights table (metrics with their source)
//   docs/public/demo/ the live page of browser.md: @alexnet/browser-demo's Vite build (turbo builds it first)
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import '@tensorflow/tfjs-backend-cpu';
import { summary } from '@alexnet/layers';
import { createModel, getArchitecture, listModels, listWeights } from '@alexnet/models';
import * as tf from '@tensorflow/tfjs-core';

const here = dirname(fileURLToPath(import.meta.url));
const docs = join(here, '..', 'docs');
const repo = join(here, '..', '..', '..');
tf.enableProdMode();
await tf.setBackend('cpu');

// API reference.
rmSync(join(docs, 'api'), { recursive: true, force: true });
execFileSync(
  process.execPath,
  [join(here, '..', 'node_modules', 'typedoc', 'bin', 'typedoc'), '--options', join(here, '..', 'typedoc.json')],
  { stdio: 'inherit', cwd: join(here, '..') },
);

// CLI reference.
const bin = join(repo, 'apps', 'cli', 'dist', 'bin.js');
const help = (...args) => execFileSync(process.execPath, [bin, ...args], { encoding: 'utf8' }).trimEnd();
const commands = ['train', 'eval', 'predict', 'summary', 'bench', 'convert', 'data'];
writeFileSync(
  join(docs, 'cli.md'),
  [
    '# CLI reference',
    '',
    'Generated from the `alexnet` command itself (`alexnet <command> --help`).',
    '',
    '```text',
    help('--help'),
    '```',
    ...commands.flatMap((c) => ['', `## alexnet ${c}`, '', '```text', help(c, '--help'), '```']),
    '',
  ].join('\n'),
);

// Model pages.
mkdirSync(join(docs, 'models'), { recursive: true });
const group = (n) => n.toLocaleString('en-US');
const index = ['# Model zoo', '', '| model | description | parameters | multiply-adds (224) |', '|---|---|---|---|'];
for (const name of listModels()) {
  const architecture = getArchitecture(name);
  const model = createModel(name, { seed: 0 });
  const table = summary(model, [224, 224, 3], { title: name });
  const sizes = model.inputSizes();
  index.push(
    `| [\`${name}\`](./${name}) | ${architecture.description} | ${group(table.totalParameters)} | ${(table.totalMultiplyAdds / 1e9).toFixed(2)} G |`,
  );
  const rows = table.rows.map(
    (r) =>
      `| \`${r.name}\` | ${r.type} | [${r.outputShape.join(', ')}] | ${r.parameters ? group(r.parameters) : '-'} | ${r.multiplyAdds ? group(r.multiplyAdds) : '-'} |`,
  );
  writeFileSync(
    join(docs, 'models', `${name}.md`),
    [
      `# ${name}`,
      '',
      `${architecture.description}.`,
      '',
      `Source: ${architecture.paper}`,
      '',
      `- Parameters (1000 classes): **${group(table.totalParameters)}**`,
      `- Multiply-adds per 224x224 image: **${group(table.totalMultiplyAdds)}** (${(table.totalMultiplyAdds / 1e9).toFixed(2)} G)`,
      `- Input sides accepted: ${sizes.max === null ? `${sizes.min} and up` : `${sizes.min} to ${sizes.max}`}`,
      `- Defaults: LRN \`${architecture.defaults.lrn}\`, init \`${architecture.defaults.init}\`, head \`${architecture.defaults.head}\``,
      '',
      ...weightsSection(name),
      '## Diagram',
      '',
      diagram(table.rows),
      '',
      '## Layers',
      '',
      '| layer | type | output (NHWC) | parameters | multiply-adds |',
      '|---|---|---|---|---|',
      ...rows,
      '',
      '```ts',
      `import { createModel } from '@alexnet/models';`,
      `const model = createModel('${name}');`,
      '```',
      '',
    ].join('\n'),
  );
  model.dispose();
}
const weightsIndex = [
  '## Weights table',
  '',
  '| weights | file | ImageNet-1K val acc@1 / acc@5 | parameters |',
  '|---|---|---|---|',
  ...listWeights().map(
    (w) =>
      `| [\`${w.tag}\`](./${w.model}#weights) | ${fileLink(w)} | ${w.metrics.map((m) => `${m.top1} / ${m.top5}`).join('; ') || '-'} | ${group(w.numParameters)} |`,
  ),
  '',
];
writeFileSync(
  join(docs, 'models', 'index.md'),
  `${[...index, '', ...weightsIndex, 'See [how the three differ](../architectures).', ''].join('\n')}`,
);
// The live page (browser.md embeds it), built by Vite in @alexnet/browser-demo.
const demo = join(repo, 'apps', 'browser-demo', 'dist');
if (!existsSync(join(demo, 'index.html'))) {
  throw new Error(`${demo} has no index.html: build @alexnet/browser-demo first (turbo does, before docs:build)`);
}
rmSync(join(docs, 'public', 'demo'), { recursive: true, force: true });
cpSync(demo, join(docs, 'public', 'demo'), { recursive: true });
console.log('docs: generated api/, cli.md, models/ and public/demo/');

/** The `## Weights` section of a model page: its entries of the weights table, metrics with their source. */
function weightsSection(name) {
  const entries = listWeights(name);
  if (entries.length === 0)
    return ['## Weights', '', 'No entry of the weights table (`listWeights()`) is for this model.', ''];
  return [
    '## Weights',
    '',
    'Entries of the weights table (`getWeights(tag)`); the file is not downloaded: `loadPretrained(tag, path)` checks',
    'a local copy against its SHA-256 and loads it.',
    '',
    '| weights | file | SHA-256 | data set | acc@1 | acc@5 | source of the numbers |',
    '|---|---|---|---|---|---|---|',
    ...entries.flatMap((w) =>
      w.metrics.map(
        (m) =>
          `| \`${w.tag}\` | ${fileLink(w)} | \`${w.sha256.hex}\`${w.sha256.complete ? '' : ' (prefix only)'} | ${m.dataset} | ${m.top1} | ${m.top5} | ${m.source} |`,
      ),
    ),
    '',
    ...entries.map(
      (w) =>
        `\`${w.tag}\`: ${w.description}. Preprocessing: resize ${w.preprocessing.resize} (${w.preprocessing.interpolation}), centre crop ${w.preprocessing.crop}, mean [${w.preprocessing.mean.join(', ')}], std [${w.preprocessing.std.join(', ')}]; ${w.classNames.length} classes; ${group(w.numParameters)} parameters; inputs from ${w.minInputSize} pixels a side${w.recipe ? `; [training recipe](${w.recipe})` : ''}${w.license ? `; licence ${w.license}` : '; no licence given for the file'}.`,
    ),
    '',
  ];
}

/** A weight file's name, linked to where it is served when it is online. */
function fileLink(w) {
  return w.source.url ? `[\`${w.source.fileName}\`](${w.source.url})` : `\`${w.source.fileName}\``;
}

/** An SVG strip of the network's stages: each box's height follows its feature map's side, its label the shape. */
function diagram(rows) {
  const stages = rows.filter((r) => ['Conv2d', 'MaxPool2d', 'Linear', 'AdaptiveAvgPool2d'].includes(r.type));
  const width = 110;
  const boxes = stages.map((r, i) => {
    const side = r.outputShape.length === 4 ? r.outputShape[1] : 1;
    const h = Math.max(16, Math.min(140, side * 2.4));
    const colour = r.type === 'Conv2d' ? '#4e79a7' : r.type === 'Linear' ? '#e15759' : '#76b7b2';
    const label = r.outputShape.slice(1).join('x');
    return `<g><rect x="${i * width + 10}" y="${160 - h}" width="${width - 24}" height="${h}" rx="4" fill="${colour}"/><text x="${i * width + 10 + (width - 24) / 2}" y="178" font-size="11" text-anchor="middle">${r.type.replace('2d', '')}</text><text x="${i * width + 10 + (width - 24) / 2}" y="192" font-size="10" text-anchor="middle">${label}</text></g>`;
  });
  return `<svg viewBox="0 0 ${stages.length * width + 10} 200" width="100%" role="img" aria-label="layer diagram">${boxes.join('')}</svg>`;
}
