import { dawnInstance, type GpuSource, message, openGpu } from './gpu.js';
import type { WebGpuAdapterInfo, WebGpuFeatures, WebGpuLimits, WebGpuOptions, WebGpuRuntime } from './types.js';

/** The environment variable that chooses the adapter where {@link WebGpuOptions.adapter} does not. */
export const ADAPTER_ENV = 'ALEXNET_WEBGPU_ADAPTER';

/** Drivers that run on the CPU, whatever the runtime calls them. */
const SOFTWARE_DRIVER = /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render|\bwarp\b/i;

/** `GPUAdapterInfo` as runtimes fill it: `isFallbackAdapter` moved there from `GPUAdapter` in 2024. */
interface RawAdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

/** An adapter with its description and the `GPU` object it came from. */
export interface ChosenAdapter {
  gpu: GPU;
  adapter: GPUAdapter;
  info: WebGpuAdapterInfo;
  raw: RawAdapterInfo;
  runtime: WebGpuRuntime;
}

/** A listed adapter: Dawn's name for it and its graphics API. */
interface DawnListing {
  name: string;
  backend: string;
}

/** What the adapter options ask of `requestAdapter`. */
function requestOptions(options: WebGpuOptions): GPURequestAdapterOptions {
  return {
    powerPreference: options.powerPreference ?? 'high-performance',
    forceFallbackAdapter: options.forceFallbackAdapter ?? false,
  };
}

/** The adapter selector: the option, else the environment variable; a string of digits is an index. */
export function adapterSelector(options: WebGpuOptions): number | string | undefined {
  const raw = options.adapter ?? (typeof process === 'undefined' ? undefined : process.env?.[ADAPTER_ENV]);
  if (raw === undefined) return undefined;
  if (typeof raw === 'number') {
    if (!Number.isInteger(raw) || raw < 0) throw new RangeError(`adapter must be an index >= 0 or a name, got ${raw}`);
    return raw;
  }
  const text = raw.trim();
  if (text === '') return undefined;
  return /^\d+$/.test(text) ? Number(text) : text;
}

async function rawInfo(adapter: GPUAdapter): Promise<RawAdapterInfo> {
  const withInfo = adapter as GPUAdapter & { info?: RawAdapterInfo };
  if (withInfo.info) return withInfo.info;
  // Runtimes from before `GPUAdapter.info` (Chrome < 127) only had the asynchronous call.
  const legacy = adapter as { requestAdapterInfo?: () => Promise<RawAdapterInfo> };
  return typeof legacy.requestAdapterInfo === 'function' ? legacy.requestAdapterInfo() : {};
}

function describe(adapter: GPUAdapter, raw: RawAdapterInfo, index: number, listing?: DawnListing): WebGpuAdapterInfo {
  const fallback = raw.isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? false;
  const info = {
    index,
    name: listing?.name ?? raw.device ?? '',
    ...(listing ? { backend: listing.backend } : {}),
    vendor: raw.vendor ?? '',
    architecture: raw.architecture ?? '',
    device: raw.device ?? '',
    description: raw.description ?? '',
    fallback,
  };
  const words = [info.name, info.vendor, info.architecture, info.device, info.description].join(' ');
  return { ...info, software: fallback || SOFTWARE_DRIVER.test(words) };
}

/**
 * Dawn's adapters for these options, in its order of preference. Its Node.js bindings have no listing call, but
 * they reject a request for an adapter name nothing matches with the list of adapters there are; a name with a
 * control character matches none.
 */
async function dawnListing(source: GpuSource & { gpu: GPU }, options: WebGpuOptions): Promise<DawnListing[]> {
  if (!source.dawn) return [];
  const probe = dawnInstance(source.dawn, [...source.flags, 'adapter=\u0001']);
  try {
    await probe.requestAdapter(requestOptions(options));
  } catch (error) {
    const listed = [...message(error).matchAll(/^ \* backend: '([^']*)', name: '(.*)'$/gm)];
    return listed.map(([, backend, name]) => ({ name, backend }));
  }
  // Resolved (with null): Dawn found no adapter at all.
  return [];
}

/** Why no adapter came back, with what to do about it. */
function noAdapterReason(runtime: WebGpuRuntime, options: WebGpuOptions): string {
  const asked = options.forceFallbackAdapter ? 'no fallback WebGPU adapter' : 'no WebGPU adapter';
  if (runtime !== 'dawn') return `${asked}: the browser offers none (WebGPU turned off, or no supported GPU)`;
  const linux = typeof process !== 'undefined' && process.platform === 'linux';
  return linux
    ? `${asked}: Dawn found no Vulkan device. It needs the Vulkan loader (Debian: apt-get install libvulkan1) and ` +
        "the GPU's Vulkan driver; without a GPU, SwiftShader works (Debian's chromium package: " +
        'VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json). Mesa lavapipe is refused by Dawn.'
    : `${asked}: Dawn found no ${process.platform === 'darwin' ? 'Metal' : 'Direct3D 12'} device`;
}

type Chosen = ChosenAdapter | { reason: string; runtime: WebGpuRuntime | null };

/** Requests the adapter `listing` names (or the preferred one) from a fresh `GPU` object. */
async function requestAdapter(options: WebGpuOptions, index: number, listing?: DawnListing): Promise<Chosen> {
  const source = await openGpu(options, listing?.name);
  if (!source.gpu) return source;
  try {
    const adapter = await source.gpu.requestAdapter(requestOptions(options));
    if (!adapter) return { reason: noAdapterReason(source.runtime, options), runtime: source.runtime };
    const raw = await rawInfo(adapter);
    return { gpu: source.gpu, adapter, raw, info: describe(adapter, raw, index, listing), runtime: source.runtime };
  } catch (error) {
    return { reason: `requestAdapter failed: ${message(error)}`, runtime: source.runtime };
  }
}

function matches(info: WebGpuAdapterInfo, text: string): boolean {
  const words = [info.name, info.vendor, info.architecture, info.device, info.description].join('\n');
  return words.toLowerCase().includes(text.toLowerCase());
}

/**
 * Every adapter the options can reach, described. Node.js (Dawn): each adapter of the platform's graphics API
 * (Vulkan, Metal, Direct3D 12; `dawnFlags: ['backend=...']` for another), in Dawn's order for the power
 * preference. Browsers offer one adapter at a time: the list holds the one they pick.
 */
export async function listWebGpuAdapters(options: WebGpuOptions = {}): Promise<WebGpuAdapterInfo[]> {
  const source = await openGpu(options);
  if (!source.gpu) return [];
  const listed = await dawnListing(source, options);
  if (listed.length === 0) {
    const only = await requestAdapter(options, 0);
    return 'adapter' in only ? [only.info] : [];
  }
  const infos: WebGpuAdapterInfo[] = [];
  for (const [index, listing] of listed.entries()) {
    const first = listed.findIndex((l) => l.name === listing.name);
    if (first < index) {
      infos.push({ ...infos[first], index });
      continue;
    }
    const chosen = await requestAdapter(options, index, listing);
    if ('adapter' in chosen) infos.push(chosen.info);
  }
  return infos;
}

/**
 * The adapter the options select (see {@link WebGpuOptions.adapter}), or why there is none. Dawn's bindings pick
 * an adapter by name only, so of identical adapters (eight of the same GPU) only the first can be chosen.
 */
export async function chooseAdapter(options: WebGpuOptions): Promise<Chosen> {
  const selector = adapterSelector(options);
  const source = await openGpu(options);
  if (!source.gpu) return source;
  const listed = await dawnListing(source, options);
  if (selector === undefined) return requestAdapter(options, 0, listed[0]);
  if (listed.length === 0) {
    // A browser (or a custom GPU object): its one adapter, if it is the one asked for.
    const only = await requestAdapter(options, 0);
    if (!('adapter' in only)) return only;
    if (selector === 0 || (typeof selector === 'string' && matches(only.info, selector))) return only;
    return {
      reason: `no adapter ${JSON.stringify(selector)}: the runtime offers '${only.info.name}'`,
      runtime: only.runtime,
    };
  }
  const names = listed.map((l, i) => `${i}: ${l.name} (${l.backend})`).join('; ');
  let index = typeof selector === 'number' ? selector : -1;
  if (typeof selector === 'string') {
    index = listed.findIndex((l) => l.name.toLowerCase().includes(selector.toLowerCase()));
    if (index < 0) {
      const infos = await listWebGpuAdapters(options);
      index = infos.find((info) => matches(info, selector))?.index ?? -1;
    }
  }
  if (index < 0 || index >= listed.length)
    return { reason: `no adapter ${JSON.stringify(selector)} among the ${listed.length}: ${names}`, runtime: 'dawn' };
  const first = listed.findIndex((l) => l.name === listed[index].name);
  if (first < index)
    return {
      reason:
        `adapter ${index} ('${listed[index].name}') has the name of adapter ${first}, and Dawn selects adapters by ` +
        'name: only the first of identical adapters can be chosen (limit the GPUs the process sees instead)',
      runtime: 'dawn',
    };
  return requestAdapter(options, index, listed[index]);
}

const LIMIT_NAMES = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
] as const;

/** The limits that matter to tensor sizes and kernels (TF.js asks the device for the adapter's maxima of these). */
export function adapterLimits(adapter: GPUAdapter): WebGpuLimits {
  const limits = adapter.limits as unknown as Record<string, number>;
  return Object.fromEntries(LIMIT_NAMES.map((name) => [name, Number(limits[name])])) as unknown as WebGpuLimits;
}

export function adapterFeatures(adapter: GPUAdapter): WebGpuFeatures {
  const all = [...(adapter.features as unknown as Set<string>)].sort();
  return {
    subgroups: all.includes('subgroups'),
    shaderF16: all.includes('shader-f16'),
    timestampQuery: all.includes('timestamp-query'),
    all,
  };
}
