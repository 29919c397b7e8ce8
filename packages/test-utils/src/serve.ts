import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.wasm': 'application/wasm',
};

/**
 * Serves folders on 127.0.0.1 (a secure context, so the page gets WebGPU): `mounts` maps a URL prefix (`/`,
 * `/fixtures/`) to a folder. Only files inside the folders are served.
 */
export async function serveFolders(
  mounts: Record<string, string>,
): Promise<{ url: string; close: () => Promise<void> }> {
  const prefixes = Object.keys(mounts).sort((a, b) => b.length - a.length);
  const server: Server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    const prefix = prefixes.find((p) => path.startsWith(p));
    const root = prefix === undefined ? undefined : normalize(mounts[prefix]);
    const file = root && normalize(join(root, path.slice((prefix as string).length) || 'index.html'));
    if (
      !root ||
      !file ||
      !(file === root || file.startsWith(root + sep)) ||
      !statSync(file, { throwIfNoEntry: false })?.isFile()
    ) {
      response.writeHead(404).end('not found');
      return;
    }
    response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
