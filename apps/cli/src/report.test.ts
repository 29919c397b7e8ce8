import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM, headlessChromium } from '@alexnet/test-utils';
import type { EpochRecord } from '@alexnet/trainer';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { renderReport } from './report.js';

const tmp = mkdtempSync(join(tmpdir(), 'alexnet-report-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const result = (loss: number, top1: number) => ({ loss, top1, top5: Math.min(1, top1 + 0.3), count: 100 });
const history: EpochRecord[] = [1, 2, 3, 4].map((epoch) => ({
  type: 'epoch',
  epoch,
  step: epoch * 10,
  lr: epoch < 3 ? 0.01 : 0.001,
  train: result(2 / epoch, 0.2 * epoch),
  val: result(2.2 / epoch, 0.18 * epoch),
  seconds: 10,
  imagesPerSecond: 10,
}));
const html = renderReport({
  title: 'alexnet_v2 test run',
  history,
  config: { model: 'alexnet_v2', lr: 0.01, note: '<b>escaped</b>' },
  backend: { name: 'cpu', device: 'CPU (JavaScript)' },
  best: { metric: 'val.top1', value: 0.72, epoch: 4 },
});

describe('report.html', () => {
  it('is self-contained: four SVG charts with a curve a series, the config escaped, no external resources', () => {
    expect(html.match(/<svg /g)).toHaveLength(4);
    expect(html.match(/<path class="series" data-series="train"/g)).toHaveLength(3);
    expect(html.match(/<path class="series" data-series="validation"/g)).toHaveLength(3);
    expect(html).toMatch(/Final validation top-1 <b>72\.00%<\/b>/);
    expect(html).toContain('&lt;b&gt;escaped&lt;/b&gt;');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it.runIf(CHROMIUM)('draws its curves in headless Chromium', async () => {
    const page = join(tmp, 'report.html');
    const shot = join(tmp, 'report.png');
    writeFileSync(page, html);
    await headlessChromium(['--window-size=1000,900', `--screenshot=${shot}`, `file://${page}`]);
    const { data, info } = await sharp(shot).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const count = (r: number, g: number, b: number) => {
      let n = 0;
      for (let p = 0; p < data.length; p += info.channels) {
        if (Math.abs(data[p] - r) < 24 && Math.abs(data[p + 1] - g) < 24 && Math.abs(data[p + 2] - b) < 24) n += 1;
      }
      return n;
    };
    // The train (blue), validation (red) and learning-rate (green) curves are drawn: hundreds of pixels each.
    expect(count(0x1f, 0x77, 0xb4)).toBeGreaterThan(300);
    expect(count(0xd6, 0x27, 0x28)).toBeGreaterThan(300);
    expect(count(0x2c, 0xa0, 0x2c)).toBeGreaterThan(100);
  });
});
