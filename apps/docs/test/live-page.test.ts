/**
 * The docs site's live page (`browser.html`, which embeds @alexnet/browser-demo's build from `/demo/`), driven in
 * headless Chromium as a reader would use it: PyTorch's small torchvision checkpoint and a PNG picked through the
 * embedded page's file inputs; the top-5 it shows must be those computed here in Node.js on the same input.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import '@tensorflow/tfjs-backend-cpu';
import { ALEXNET_TORCHVISION, AlexNet, IMAGENET_PREPROCESSING, loadWeights, topK } from '@alexnet/models';
import { CHROMIUM, CHROMIUM_ARGS, encodePng, expectClose, serveFolders, waveImage } from '@alexnet/test-utils';
import { readSafetensors } from '@alexnet/torch-io';
import * as tf from '@tensorflow/tfjs-core';
import { chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const dist = join(root, 'dist');
const fixtures = join(root, '..', '..', 'packages', 'alexnet', 'fixtures');
const work = mkdtempSync(join(tmpdir(), 'alexnet-docs-live-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(!CHROMIUM)('the live page of the docs site, in headless Chromium', () => {
  it("shows the top-5 classes Node.js computes for PyTorch's checkpoint and a picked image", async () => {
    // The checkpoint's widths, as the fixture script recorded them.
    const expected = readSafetensors(readFileSync(join(fixtures, 'torchvision.expected.safetensors')));
    const config = JSON.parse(expected.metadata.config) as { convs: number[]; hidden: number; classes: number };
    const architecture = {
      ...ALEXNET_TORCHVISION,
      convs: ALEXNET_TORCHVISION.convs.map((stage, i) => ({ ...stage, out: config.convs[i] })),
      hidden: ALEXNET_TORCHVISION.hidden.map(() => config.hidden),
    };
    // 256 x 300: torchvision's Resize(256) leaves it as it is, CenterCrop(224) starts at left 16, top 38.
    const [width, height] = [256, 300];
    const rgb = waveImage(width, height, 20);
    writeFileSync(join(work, 'image.png'), encodePng(width, height, rgb));
    const { crop, mean, std } = IMAGENET_PREPROCESSING;
    const input = new Float32Array(crop * crop * 3);
    for (let i = 0; i < input.length; i++) {
      const [y, x, c] = [Math.floor(i / (crop * 3)), Math.floor(i / 3) % crop, i % 3];
      input[i] = (rgb[((y + 38) * width + x + 16) * 3 + c] / 255 - mean[c]) / std[c];
    }
    await tf.setBackend('cpu');
    const model = new AlexNet(architecture, { numClasses: config.classes, lrn: 'none' });
    await loadWeights(model, join(fixtures, 'torchvision.pth'));
    const logits = model.eval().forward(tf.tensor4d(input, [1, crop, crop, 3]));
    // The five best are told apart well beyond float32 rounding, so their order cannot differ by backend.
    const sorted = Array.from(logits.dataSync()).sort((a, b) => b - a);
    for (let i = 0; i < 5; i++) expect(sorted[i] - sorted[i + 1]).toBeGreaterThan(1e-4 * (sorted[0] - sorted.at(-1)!));
    const [best] = await topK(logits, 5);
    tf.dispose([logits]);
    model.dispose();

    const server = await serveFolders({ '/': dist });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS] });
    try {
      const page = await browser.newPage();
      const log: string[] = [];
      page.on('pageerror', (e) => log.push(`uncaught: ${e.message}`));
      await page.goto(`${server.url}/browser.html`);
      const frame = page.frameLocator('iframe');
      await frame.locator('#weights').setInputFiles(join(fixtures, 'torchvision.pth'));
      await frame.locator('#image').setInputFiles(join(work, 'image.png'));
      await frame.locator('#status[data-state="done"], #status[data-state="error"]').waitFor({ timeout: 60_000 });
      expect(await frame.locator('#error').textContent(), log.join('\n')).toBe('');
      const shown = await frame.locator('#top5 tr').evaluateAll((rows) =>
        rows.map((row) => ({
          index: Number((row as HTMLElement).dataset.index),
          label: row.querySelector('.label')?.textContent,
          probability: Number((row as HTMLElement).dataset.probability),
        })),
      );
      const backend = await frame.locator('#backend').textContent();
      console.info(`docs live page: ${backend}; ${await frame.locator('#time').textContent()}`);
      expect(backend).toMatch(/^(webgpu|webgl|cpu) \(/);
      expect(shown.map((p) => p.index)).toEqual(best.map((p) => p.index));
      // Ten classes and no names in a PyTorch file: the page says `class <index>`, as topK does.
      expect(shown.map((p) => p.label)).toEqual(best.map((p) => `class ${p.index}`));
      expectClose(
        shown.map((p) => p.probability),
        best.map((p) => p.probability),
        1e-4,
        'top-5 probabilities',
      );
      expect(log).toEqual([]);
    } finally {
      await browser.close();
      await server.close();
    }
  });
});
