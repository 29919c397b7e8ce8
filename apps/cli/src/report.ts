import type { EpochRecord } from '@alexnet/trainer';

/** A self-contained HTML report of a run: SVG curves of loss, top-1, top-5 and learning rate, the config, the backend. */
export function renderReport(run: {
  title: string;
  history: EpochRecord[];
  config: Record<string, unknown>;
  backend: { name: string; device: string };
  best: { metric: string; value: number; epoch: number } | null;
}): string {
  const epochs = run.history.map((r) => r.epoch);
  const series = (pick: (r: EpochRecord) => number | undefined) => run.history.map(pick);
  const charts = [
    chart('Loss', epochs, [
      { name: 'train', values: series((r) => r.train.loss), colour: '#1f77b4' },
      { name: 'validation', values: series((r) => r.val?.loss), colour: '#d62728' },
    ]),
    chart('Top-1 accuracy', epochs, [
      { name: 'train', values: series((r) => r.train.top1), colour: '#1f77b4' },
      { name: 'validation', values: series((r) => r.val?.top1), colour: '#d62728' },
    ]),
    chart('Top-5 accuracy', epochs, [
      { name: 'train', values: series((r) => r.train.top5), colour: '#1f77b4' },
      { name: 'validation', values: series((r) => r.val?.top5), colour: '#d62728' },
    ]),
    chart('Learning rate', epochs, [{ name: 'lr', values: series((r) => r.lr), colour: '#2ca02c' }]),
  ];
  const last = run.history.at(-1);
  const html = (s: string) =>
    s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
  const rows = Object.entries(run.config)
    .map(([k, v]) => `<tr><th>${html(k)}</th><td>${html(typeof v === 'string' ? v : JSON.stringify(v))}</td></tr>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${html(run.title)}</title>
<style>
body{font:14px/1.5 system-ui,sans-serif;margin:2em auto;max-width:1000px;color:#222}
h1{font-size:1.5em} .charts{display:grid;grid-template-columns:1fr 1fr;gap:1em}
figure{margin:0;border:1px solid #ddd;border-radius:6px;padding:.5em} figcaption{font-weight:600}
table{border-collapse:collapse} th,td{text-align:left;padding:.2em .8em;border-bottom:1px solid #eee;vertical-align:top}
</style></head><body>
<h1>${html(run.title)}</h1>
<p>Backend: <b>${html(run.backend.name)}</b> on ${html(run.backend.device)}. ${run.history.length} epoch(s).
${last?.val ? `Final validation top-1 <b>${(100 * last.val.top1).toFixed(2)}%</b>, top-5 ${(100 * last.val.top5).toFixed(2)}%.` : ''}
${run.best ? `Best ${html(run.best.metric)} ${run.best.value.toFixed(4)} at epoch ${run.best.epoch}.` : ''}</p>
<div class="charts">${charts.join('\n')}</div>
<h2>Configuration</h2><table>${rows}</table>
</body></html>
`;
}

function chart(
  title: string,
  xs: number[],
  lines: Array<{ name: string; values: Array<number | undefined>; colour: string }>,
): string {
  const width = 460;
  const height = 240;
  const pad = { left: 56, right: 12, top: 12, bottom: 32 };
  const points = lines.flatMap((l) => l.values.filter((v): v is number => v !== undefined && Number.isFinite(v)));
  let [lo, hi] = points.length ? [Math.min(...points), Math.max(...points)] : [0, 1];
  if (hi === lo) [lo, hi] = [lo - 0.5 * Math.abs(lo || 1), hi + 0.5 * Math.abs(hi || 1)];
  const [x0, x1] = xs.length > 1 ? [xs[0], xs[xs.length - 1]] : [(xs[0] ?? 1) - 1, (xs[0] ?? 1) + 1];
  const sx = (x: number) => pad.left + ((x - x0) / (x1 - x0)) * (width - pad.left - pad.right);
  const sy = (y: number) => height - pad.bottom - ((y - lo) / (hi - lo)) * (height - pad.top - pad.bottom);
  const ticks = [0, 0.5, 1].map((f) => lo + f * (hi - lo));
  const paths = lines
    .map((line) => {
      const pts = line.values.flatMap((v, i) =>
        v === undefined || !Number.isFinite(v) ? [] : [`${sx(xs[i]).toFixed(1)},${sy(v).toFixed(1)}`],
      );
      if (pts.length === 0) return '';
      const dots = pts
        .map((p) => `<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="2.5" fill="${line.colour}"/>`)
        .join('');
      return `<path class="series" data-series="${line.name}" d="M${pts.join('L')}" fill="none" stroke="${line.colour}" stroke-width="2"/>${dots}`;
    })
    .join('');
  const legend = lines
    .map((l, i) => `<text x="${pad.left + 8 + i * 90}" y="${pad.top + 12}" fill="${l.colour}">${l.name}</text>`)
    .join('');
  return `<figure><figcaption>${title}</figcaption><svg role="img" aria-label="${title}" viewBox="0 0 ${width} ${height}" width="100%">
<line x1="${pad.left}" y1="${height - pad.bottom}" x2="${width - pad.right}" y2="${height - pad.bottom}" stroke="#999"/>
<line x1="${pad.left}" y1="${pad.top}" x2="${pad.left}" y2="${height - pad.bottom}" stroke="#999"/>
${ticks.map((t) => `<text x="${pad.left - 6}" y="${sy(t) + 4}" text-anchor="end" font-size="11">${formatTick(t)}</text>`).join('')}
<text x="${(width + pad.left) / 2}" y="${height - 6}" text-anchor="middle" font-size="11">epoch</text>
${paths}${legend}</svg></figure>`;
}

function formatTick(v: number): string {
  return Math.abs(v) >= 0.01 || v === 0 ? v.toFixed(3) : v.toExponential(1);
}
