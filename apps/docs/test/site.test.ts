import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, headlessChromium } from '@alexnet/test-utils';
import { describe, expect, it } from 'vitest';

// The built site (turbo runs docs:build before this test) and the examples the pages include.
const root = dirname(dirname(fileURLToPath(import.meta.url)));
const dist = join(root, 'dist');

function htmlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? htmlFiles(path) : name.endsWith('.html') ? [path] : [];
  });
}

describe('the docs site', () => {
  const pages = htmlFiles(dist);

  it('has the guide, a page per model, the CLI reference and an API page per package', () => {
    const names = pages.map((p) => relative(dist, p));
    for (const page of [
      'index.html',
      'getting-started.html',
      'gpu.html',
      'cpu.html',
      'imagenet.html',
      'recipes.html',
      'weights.html',
      'browser.html',
      'performance.html',
      'architectures.html',
      'cli.html',
      'models/index.html',
      'models/alexnet_v1.html',
      'models/alexnet_v2.html',
      'models/alexnet_torchvision.html',
      'api/index.html',
      'demo/index.html',
    ]) {
      expect(names, page).toContain(page);
    }
    for (const pkg of [
      'layers',
      'torch-io',
      'models',
      'imagenet-data',
      'trainer',
      'backend-native',
      'tfjs-extensions',
      'backend-webgpu',
    ]) {
      expect(
        names.some((n) => n.startsWith('api/') && n.includes(pkg)),
        pkg,
      ).toBe(true);
    }
    const cli = readFileSync(join(dist, 'cli.html'), 'utf8');
    expect(cli).toContain('Usage: alexnet train [options]');
    expect(readFileSync(join(dist, 'models', 'alexnet_v1.html'), 'utf8')).toContain('62,378,344');
  });

  it('has no broken internal links', () => {
    const broken: string[] = [];
    for (const page of pages) {
      const html = readFileSync(page, 'utf8');
      for (const [, href] of html.matchAll(/href="([^"#?]+)[^"]*"/g)) {
        if (/^(https?:|mailto:|data:|\/\/)/.test(href) || href === '') continue;
        const target = href.startsWith('/') ? join(dist, href) : resolve(dirname(page), href);
        const candidates = [target, `${target}.html`, join(target, 'index.html')];
        if (!candidates.some((c) => existsSync(c) && statSync(c).isFile()))
          broken.push(`${relative(dist, page)} -> ${href}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it("embeds the live page (@alexnet/browser-demo's build) with the scripts it loads", () => {
    const page = readFileSync(join(dist, 'browser.html'), 'utf8');
    const frames = [...page.matchAll(/<iframe[^>]* src="([^"]+)"/g)].map(([, src]) => src);
    expect(frames).toEqual(['./demo/index.html']);
    const demo = readFileSync(join(dist, 'demo', 'index.html'), 'utf8');
    const scripts = [...demo.matchAll(/<script[^>]* src="([^"]+)"/g)].map(([, src]) => src);
    expect(scripts.length).toBeGreaterThan(0);
    for (const src of scripts) expect(existsSync(join(dist, 'demo', src)), src).toBe(true);
    expect(demo).toContain('id="weights"');
    expect(demo).toContain('id="image"');
  });

  it.each(['quickstart', 'weights', 'train'])('example %s.mjs, included in the pages, runs', (name) => {
    const output = execFileSync(process.execPath, [join(root, 'examples', `${name}.mjs`)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 240_000,
    });
    expect(output.trim().length).toBeGreaterThan(0);
  });

  it.runIf(CHROMIUM)(
    'serves to headless Chromium: headings on the home, a model and an API page, no console errors',
    async () => {
      // Served over loopback HTTP, as a site is: the pages' scripts and styles use absolute paths.
      const types: Record<string, string> = {
        '.html': 'text/html',
        '.js': 'text/javascript',
        '.css': 'text/css',
        '.svg': 'image/svg+xml',
        '.json': 'application/json',
        '.woff2': 'font/woff2',
      };
      const server = createServer((request, response) => {
        const path = join(dist, decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname));
        const file = existsSync(path) && statSync(path).isDirectory() ? join(path, 'index.html') : path;
        if (!file.startsWith(dist) || !existsSync(file)) {
          response.writeHead(404).end();
          return;
        }
        response.writeHead(200, {
          'content-type': types[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream',
        });
        response.end(readFileSync(file));
      });
      await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
      const port = (server.address() as { port: number }).port;
      try {
        const checks: Array<[string, RegExp]> = [
          ['/', /AlexNet, done properly/],
          ['/models/alexnet_v2.html', /<h1[^>]*>alexnet_v2/],
          ['/browser.html', /<h1[^>]*>In the browser/],
          ['/api/', /<h1[^>]*>/],
        ];
        for (const [page, heading] of checks) {
          const { stdout, stderr } = await headlessChromium([
            '--virtual-time-budget=5000',
            '--dump-dom',
            `http://127.0.0.1:${port}${page}`,
          ]);
          expect(stdout, page).toMatch(heading);
          expect(stdout, page).toMatch(/class="VPNav/);
          expect(stderr, page).not.toMatch(/Uncaught|CONSOLE.*(Error|error)|Failed to load resource/);
        }
      } finally {
        server.close();
      }
    },
  );
});
