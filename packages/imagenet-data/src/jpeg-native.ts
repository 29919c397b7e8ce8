import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import nodeGypBuild from 'node-gyp-build';
import { readJpegHeader } from './jpeg-header.js';

/** The package's addon (native/jpeg.c): JPEG to RGB with the system's libjpeg, PIL's decoder settings. */
interface JpegAddon {
  /**
   * Decodes into `out` (at least width * height * 3 bytes); throws for CMYK, corrupt or truncated data (the error's
   * `code` is `ALEXNET_JPEG_DAMAGED` when libjpeg would have carried on with a warning).
   */
  decodeInto(jpeg: Uint8Array, out: Uint8Array): [width: number, height: number];
}

/** The addon's folder: its source, a build from it (build/Release) and the shipped binary (prebuilds/). */
const NATIVE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'native');

let addon: JpegAddon | null | undefined;

/**
 * The JPEG addon, or null where it cannot load (no prebuilt binary for this platform, no libjpeg.so.62, or
 * `ALEXNET_JPEG_DECODER=libvips`): the loader then decodes every file with sharp, to the same pixels, about half as
 * fast. Found by `node-gyp-build` in native/: a build from source (native/build/Release), else the prebuilt binary
 * whose file name's tags (`napi`, `glibc`) fit this platform in native/prebuilds/<platform>-<arch>/. Loaded once a
 * thread.
 */
export function jpegAddon(): JpegAddon | null {
  if (addon !== undefined) return addon;
  addon = null;
  if (process.env.ALEXNET_JPEG_DECODER === 'libvips') return addon;
  try {
    addon = createRequire(import.meta.url)(nodeGypBuild.resolve(NATIVE_DIR)) as JpegAddon;
  } catch {
    // No binary for this platform, or one that cannot load (for example libjpeg.so.62 missing): libvips decodes.
  }
  return addon;
}

/**
 * Which decoder plain JPEGs go through: `'libjpeg'` (the package's addon, linked to the system's libjpeg; prebuilt
 * for linux-x64 against Debian's libjpeg62-turbo) or `'libvips'` (sharp, same pixels, about half as fast). Other
 * formats, CMYK and EXIF-rotated JPEGs always go through libvips.
 */
export function jpegDecoder(): 'libjpeg' | 'libvips' {
  return jpegAddon() ? 'libjpeg' : 'libvips';
}

/**
 * libjpeg's warning about a JPEG's data (for example "Corrupt JPEG data: 240 extraneous bytes before marker 0xd9"),
 * or null for clean data, for anything that is not a plain JPEG, and where the addon is not loaded.
 */
export function jpegDamage(bytes: Uint8Array): string | null {
  const header = readJpegHeader(bytes);
  const jpeg = jpegAddon();
  if (!header || !jpeg) return null;
  try {
    jpeg.decodeInto(bytes, new Uint8Array(header.width * header.height * 3));
    return null;
  } catch (error) {
    return (error as { code?: string }).code === 'ALEXNET_JPEG_DAMAGED' ? (error as Error).message : null;
  }
}
