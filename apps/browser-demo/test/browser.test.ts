/**
 * `@alexnet/models` in a real browser: the pages are bundled by Vite (no Node.js built-in may reach the bundle),
 * served on 127.0.0.1 and driven in Debian's headless Chromium through playwright-core. The parity page runs
 * PyTorch's small torchvision checkpoint on WebGPU (the browser's SwiftShader adapter here), WebGL and the CPU
 * backend and each is compared with PyTorch's logits; the classifier page is given a weight file and an image
 * through its file inputs and must show the top-5 classes computed here in Node.js on the same input, and the crop
 * torchvision (Pillow) makes: exactly where nothing is resampled, to a few levels where the canvas resizes.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import '@tensorflow/tfjs-backend-cpu';
import { evalTransforms, loadImage } from '@alexnet/imagenet-data';
import {
  ALEXNET_TORCHVISION,
  AlexNet,
  IMAGENET_CLASS_NAMES,
  IMAGENET_PREPROCESSING,
  saveWeights,
  topK,
} from '@alexnet/models';
import { CHROMIUM, CHROMIUM_ARGS, encodePng, expectClose, serveFolders, waveImage } from '@alexnet/test-utils';
import { readSafetensors } from '@alexnet/torch-io';
import * as tf from '@tensorflow/tfjs-core';
import { type Browser, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noNodeBuiltins } from '../no-node-builtins.js';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const fixtures = join(root, '..', '..', 'packages', 'alexnet', 'fixtures');
const work = mkdtempSync(join(tmpdir(), 'alexnet-browser-'));
const outDir = join(work, 'dist');
const files = join(work, 'files');
mkdirSync(files);

/** RGB of RGBA pixels. */
function rgbOf(rgba: number[]): number[] {
  return rgba.filter((_, i) => i % 4 !== 3);
}

/**
 * How far the canvas's resize may be from Pillow's, in levels of 255 (mean and largest over the crop). Chromium 156
 * gives 0.76 and 5 on the test photo; a crop one pixel off (rounding 58.5 up) gives 10.4 and 32.
 */
const MEAN_LEVELS = 2;
const MAX_LEVELS = 16;

let buildOutput: string[] = [];
beforeAll(async () => {
  tf.env().set('IS_TEST', true); // no "install tfjs-node" banner
  await tf.setBackend('cpu');
  const result = await build({
    root,
    configFile: join(root, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  });
  const outputs = (Array.isArray(result) ? result : [result]) as { output: { fileName: string }[] }[];
  buildOutput = outputs.flatMap((r) => r.output.map((o) => o.fileName));
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the Vite bundle', () => {
  it('builds both pages from the published entry points, with no Node.js built-in in it', () => {
    expect(buildOutput).toContain('index.html');
    expect(buildOutput).toContain('parity.html');
    const scripts = readdirSync(join(outDir, 'assets')).filter((f) => f.endsWith('.js'));
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) {
      const code = readFileSync(join(outDir, 'assets', script), 'utf8');
      expect(code, script).not.toMatch(/\bfrom\s*["']node:|import\s*\(\s*["']node:|require\s*\(\s*["']node:/);
      expect(code, script).not.toContain('__vite-browser-external');
    }
  });

  it('refuses an entry that imports a Node.js built-in (the guard the page build runs with)', async () => {
    const dir = join(work, 'bad');
    mkdirSync(dir);
    writeFileSync(join(dir, 'entry.js'), "import { readFileSync } from 'node:fs';\nconsole.log(readFileSync);\n");
    await expect(
      build({
        root: dir,
        configFile: false,
        logLevel: 'silent',
        plugins: [noNodeBuiltins()],
        build: { outDir: join(dir, 'out'), rolldownOptions: { input: join(dir, 'entry.js') } },
      }),
    ).rejects.toThrow(/Node\.js built-ins would end up in the browser bundle: 'node:fs' imported by .*entry\.js/);
  });
});

if (!CHROMIUM) console.warn('Chromium is not installed (/usr/bin/chromium): the headless-browser tests are skipped');

describe.skipIf(!CHROMIUM)('in headless Chromium', () => {
  let browser: Browser;
  let server: Awaited<ReturnType<typeof serveFolders>>;
  let offers: { webgpu: boolean; webgl: boolean; webgpuSoftware: boolean; webglSoftware: boolean };

  beforeAll(async () => {
    // Under /demo/, as the docs site serves it: the pages' URLs are relative.
    server = await serveFolders({ '/demo/': outDir, '/fixtures/': fixtures, '/files/': files });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS] });
    const page = await browser.newPage();
    await page.goto(`${server.url}/demo/parity.html?weights=none`);
    offers = await page.evaluate(async () => {
      const adapter = await navigator.gpu?.requestAdapter();
      const info = (adapter as { info?: GPUAdapterInfo & { isFallbackAdapter?: boolean } } | null)?.info;
      const gl = document.createElement('canvas').getContext('webgl2');
      const debug = gl?.getExtension('WEBGL_debug_renderer_info');
      const renderer = gl ? String(gl.getParameter(debug ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER)) : '';
      const software = /swiftshader|llvmpipe|lavapipe|softpipe|software|microsoft basic render/i;
      return {
        webgpu: Boolean(adapter),
        webgl: Boolean(gl),
        webgpuSoftware: Boolean(info?.isFallbackAdapter) || software.test(`${info?.architecture} ${info?.description}`),
        webglSoftware: software.test(renderer),
      };
    });
    await page.close();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** A new page whose console errors and uncaught exceptions are kept, to print when a test fails. */
  async function open(path: string): Promise<{ page: Page; log: string[] }> {
    const page = await browser.newPage();
    const log: string[] = [];
    page.on('console', (m) => log.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => log.push(`uncaught: ${e.message}`));
    await page.goto(`${server.url}${path}`);
    return { page, log };
  }

  it("runs PyTorch's torchvision checkpoint (.pth) on every backend the browser offers, at PyTorch's logits (1e-4)", async () => {
    const expected = readSafetensors(readFileSync(join(fixtures, 'torchvision.expected.safetensors'))).tensors.logits;
    const { page, log } = await open(
      '/demo/parity.html?weights=/fixtures/torchvision.pth&input=/fixtures/input224.safetensors',
    );
    try {
      await page.waitForFunction(() => window.parityResult, null, { timeout: 60_000 });
    } catch (error) {
      const text = await page
        .textContent('#result', { timeout: 5_000 })
        .catch(() => '(no #result element: not the parity page?)');
      throw new Error(`${(error as Error).message}; the page says: ${text}\n${log.join('\n')}`);
    }
    const result = await page.evaluate(() => window.parityResult);
    await page.close();
    if (!result || 'error' in result) throw new Error(`parity page: ${result?.error}\n${log.join('\n')}`);
    const ran = result.runs.filter((r) => r.logits).map((r) => r.backend);
    for (const run of result.runs) {
      console.info(`browser parity, ${run.backend}: ${run.error ?? `${run.device}, ${run.ms?.toFixed(0)} ms`}`);
    }
    // Every backend the browser offers must run: WebGPU where it has an adapter, WebGL where it has WebGL2.
    expect(ran).toEqual(
      (['webgpu', 'webgl', 'cpu'] as const).filter((b) => b === 'cpu' || offers[b as 'webgpu' | 'webgl']),
    );
    for (const run of result.runs) {
      if (!run.logits) continue;
      expect(run.shape, run.backend).toEqual(expected.shape);
      expectClose(run.logits, expected.data, 1e-4, `${run.backend} logits`);
    }
  });

  describe('the classifier page', () => {
    // A torchvision-layout checkpoint at small widths with ImageNet's 1000 classes, written here as a .pth.
    const architecture = {
      ...ALEXNET_TORCHVISION,
      convs: ALEXNET_TORCHVISION.convs.map((stage, i) => ({ ...stage, out: [8, 16, 24, 16, 16][i] })),
      hidden: [48, 48],
    };
    // An image whose shorter side is already the resize side (256 x 300): the browser does not resample it, so
    // its crop (left 16, top 38) and normalisation must equal those computed here exactly.
    const width = 256;
    const height = 300;
    const rgb = waveImage(width, height, 20);
    // One the page must resize: 640 x 480 becomes 341 x 256 (torchvision truncates), cropped at left 58 (Python
    // rounds 58.5 to even) and top 16.
    const photo = { width: 640, height: 480 };
    const photoRgb = waveImage(photo.width, photo.height, 6);
    let expected: { index: number; label: string; probability: number }[];

    beforeAll(async () => {
      const model = new AlexNet(architecture, { numClasses: 1000, lrn: 'none', seed: 7 });
      await saveWeights(model, join(files, 'small1000.pth'));
      writeFileSync(join(files, 'image.png'), encodePng(width, height, rgb));
      writeFileSync(join(files, 'photo.png'), encodePng(photo.width, photo.height, photoRgb));
      // torchvision's Resize(256) leaves the image as it is; CenterCrop(224) starts at round(16), round(38).
      const { crop, mean, std } = IMAGENET_PREPROCESSING;
      const input = new Float32Array(crop * crop * 3);
      for (let y = 0; y < crop; y++) {
        for (let x = 0; x < crop; x++) {
          for (let c = 0; c < 3; c++) {
            const value = rgb[((y + 38) * width + x + 16) * 3 + c];
            input[(y * crop + x) * 3 + c] = (value / 255 - mean[c]) / std[c];
          }
        }
      }
      model.eval();
      const logits = model.forward(tf.tensor4d(input, [1, crop, crop, 3]));
      // The five best must be told apart well beyond float32 rounding, or the order could differ by backend.
      const sorted = Array.from(logits.dataSync()).sort((a, b) => b - a);
      const spread = sorted[0] - sorted[999];
      for (let i = 0; i < 5; i++) expect(sorted[i] - sorted[i + 1], `gap ${i}`).toBeGreaterThan(1e-4 * spread);
      [expected] = await topK(logits, 5, { names: IMAGENET_CLASS_NAMES });
      logits.dispose();
      model.dispose();
    });

    async function classify(path: string, image = 'image.png') {
      const { page, log } = await open(path);
      await page.setInputFiles('#weights', join(files, 'small1000.pth'));
      await page.setInputFiles('#image', join(files, image));
      try {
        await page.waitForSelector('#status[data-state="done"], #status[data-state="error"]', { timeout: 60_000 });
      } catch (error) {
        throw new Error(`${(error as Error).message}\n${log.join('\n')}`);
      }
      const shown = await page.evaluate(() => ({
        error: document.getElementById('error')?.textContent,
        backend: document.getElementById('backend')?.dataset.backend,
        skipped: document.getElementById('backend')?.dataset.skipped ?? '',
        ms: Number(document.getElementById('time')?.dataset.ms),
        preprocessing: document.getElementById('preprocessing')?.textContent,
        top5: Array.from(document.querySelectorAll<HTMLElement>('#top5 tr'), (row) => ({
          index: Number(row.dataset.index),
          label: row.querySelector('.label')?.textContent,
          probability: Number(row.dataset.probability),
        })),
        // The crop the model saw, as the page shows it (its normalisation undone): RGBA.
        crop: Array.from(
          (document.getElementById('crop') as HTMLCanvasElement).getContext('2d')?.getImageData(0, 0, 224, 224).data ??
            [],
        ),
      }));
      await page.close();
      expect(shown.error, log.join('\n')).toBe('');
      return shown;
    }

    it('shows the top-5 ImageNet classes computed in Node.js, the backend, the time and the preprocessing', async () => {
      const shown = await classify('/demo/index.html');
      console.info(`classifier page: ${shown.backend}, ${shown.ms.toFixed(1)} ms`);
      // The first hardware GPU backend, else the CPU: a software one is passed over, saying why.
      const hardware = (['webgpu', 'webgl'] as const).find((b) => offers[b] && !offers[`${b}Software`]);
      expect(shown.backend).toBe(hardware ?? 'cpu');
      if (offers.webgpu && offers.webgpuSoftware)
        expect(shown.skipped).toMatch(/^webgpu: its adapter \(.+\) runs in software$/m);
      if (offers.webgl && offers.webglSoftware && !hardware)
        expect(shown.skipped).toMatch(/^webgl: it renders in software \(.+\)$/m);
      expect(shown.ms).toBeGreaterThan(0);
      expect(shown.top5.map((p) => p.index)).toEqual(expected.map((p) => p.index));
      expect(shown.top5.map((p) => p.label)).toEqual(expected.map((p) => IMAGENET_CLASS_NAMES[p.index]));
      expectClose(
        shown.top5.map((p) => p.probability),
        expected.map((p) => p.probability),
        1e-4,
        'top-5 probabilities',
      );
      expect(shown.preprocessing).toBe(
        [
          'transforms.Compose([',
          '    transforms.Resize(256, interpolation=InterpolationMode.BILINEAR),',
          '    transforms.CenterCrop(224),',
          '    transforms.ToTensor(),',
          '    transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),',
          '])',
        ].join('\n'),
      );
    });

    it('shows the crop torchvision makes, value for value, when there is nothing to resample', async () => {
      const shown = await classify('/demo/index.html?backend=cpu');
      const expectedCrop = new Uint8Array(224 * 224 * 3);
      for (let y = 0; y < 224; y++) {
        for (let x = 0; x < 224; x++) {
          for (let c = 0; c < 3; c++) expectedCrop[(y * 224 + x) * 3 + c] = rgb[((y + 38) * width + x + 16) * 3 + c];
        }
      }
      expect(rgbOf(shown.crop)).toEqual(Array.from(expectedCrop));
    });

    it("resamples on the canvas: the crop of a resized image is within a few levels of Pillow's", async () => {
      const shown = await classify('/demo/index.html?backend=cpu', 'photo.png');
      // Pillow's antialiased bilinear resize, bit for bit (@alexnet/imagenet-data), then the same crop.
      const pillow = await loadImage(readFileSync(join(files, 'photo.png')), evalTransforms(IMAGENET_PREPROCESSING), 0);
      const { mean, std } = IMAGENET_PREPROCESSING;
      const levels = Array.from(pillow.data, (v, i) => 255 * (v * std[i % 3] + mean[i % 3]));
      const page = rgbOf(shown.crop);
      const differences = page.map((v, i) => Math.abs(v - levels[i]));
      const meanDifference = differences.reduce((a, b) => a + b, 0) / differences.length;
      const maxDifference = differences.reduce((a, b) => Math.max(a, b), 0);
      console.info(
        `canvas vs Pillow resize: mean ${meanDifference.toFixed(2)}, max ${maxDifference.toFixed(0)} levels of 255`,
      );
      expect(meanDifference).toBeLessThan(MEAN_LEVELS);
      expect(maxDifference).toBeLessThan(MAX_LEVELS);
      expect(shown.top5).toHaveLength(5);
    });

    /** The page's top-5 on the backend asked for by name: Node's classes and probabilities. */
    async function expectTop5On(backend: 'webgpu' | 'cpu') {
      const shown = await classify(`/demo/index.html?backend=${backend}`);
      expect(shown.backend).toBe(backend);
      expect(shown.top5.map((p) => p.index)).toEqual(expected.map((p) => p.index));
      expectClose(
        shown.top5.map((p) => p.probability),
        expected.map((p) => p.probability),
        1e-4,
        `top-5 probabilities on ${backend}`,
      );
    }

    it('uses a software WebGPU adapter when asked for by name (?backend=webgpu), with the same top-5', async (context) => {
      if (!offers.webgpu) return context.skip();
      await expectTop5On('webgpu');
    });

    it('shows the same on the CPU backend (?backend=cpu)', () => expectTop5On('cpu'));
  });
});
