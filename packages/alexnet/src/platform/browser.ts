import type { Environment, FileAccess } from './types.js';

export { weightsCache } from './browser-weights-cache.js';

const unavailable = (path: string | URL): never => {
  throw new Error(
    `Cannot access "${path}": file paths work in Node.js only. In a browser pass a URL, an ArrayBuffer or a Uint8Array.`,
  );
};

export const files: FileAccess = {
  readFile: async (path) => unavailable(path),
  writeFile: async (path) => unavailable(path),
};

/** Browsers have no environment variables: options alone set the cache's behaviour. */
export const environment: Environment = () => undefined;
