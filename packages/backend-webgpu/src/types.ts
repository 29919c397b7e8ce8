/** How to pick the GPU adapter and what to ask of it. Every field is optional. */
export interface WebGpuOptions {
  /**
   * Which adapter: an index into {@link listWebGpuAdapters}' list (Node.js only, `0` is the default one), or a
   * case-insensitive substring of its name, vendor, architecture, device or description (`'nvidia'`, `'H200'`).
   * Default: the `ALEXNET_WEBGPU_ADAPTER` environment variable, else the adapter the runtime prefers.
   */
  adapter?: number | string;
  /** Default `'high-performance'`: the discrete GPU where there are two. */
  powerPreference?: 'high-performance' | 'low-power';
  /** Ask for the runtime's fallback (software) adapter, as `GPURequestAdapterOptions.forceFallbackAdapter`. */
  forceFallbackAdapter?: boolean;
  /**
   * Extra flags for Dawn's Node.js bindings (`create(flags)` of the `webgpu` package), for example
   * `['backend=opengl']` or `['enable-dawn-features=...']`. Ignored in browsers.
   */
  dawnFlags?: string[];
  /**
   * A `GPU` object to use instead of Dawn (Node.js) or `navigator.gpu` (browsers), for runtimes that bring their own.
   * Typed by shape, so that the declarations need no WebGPU type package.
   */
  gpu?: { requestAdapter(options?: object): Promise<unknown> };
}

/** Where the `GPU` object comes from. */
export type WebGpuRuntime = 'dawn' | 'browser' | 'custom';

/** What an adapter says about itself (`GPUAdapterInfo`), plus what Dawn's Node.js bindings add. */
export interface WebGpuAdapterInfo {
  /** The index in {@link listWebGpuAdapters}' list (Node.js), or 0 where the runtime offers one adapter at a time. */
  index: number;
  /** The driver's name for the adapter, as Dawn lists it (`'NVIDIA H200'`); `device` where there is no such list. */
  name: string;
  /** The graphics API Dawn drives it through (`'vulkan'`, `'metal'`, `'d3d12'`, ...), where Dawn says. */
  backend?: string;
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** Whether the runtime calls it a fallback adapter (a software rasteriser or one with reduced limits). */
  fallback: boolean;
  /** Whether it runs on the CPU: a fallback adapter, or a known software driver (SwiftShader, llvmpipe, WARP). */
  software: boolean;
}

/** The adapter limits that decide how large a tensor and a kernel can be. */
export interface WebGpuLimits {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
  maxComputeWorkgroupStorageSize: number;
  maxComputeInvocationsPerWorkgroup: number;
  maxComputeWorkgroupSizeX: number;
  maxComputeWorkgroupsPerDimension: number;
}

/** The optional features the project's kernels can use, and every feature the adapter has. */
export interface WebGpuFeatures {
  /** `subgroups`: subgroup operations in WGSL. */
  subgroups: boolean;
  /** `shader-f16`: half-precision arithmetic in WGSL. */
  shaderF16: boolean;
  /** `timestamp-query`: per-kernel GPU times for `tf.profile` and `tf.time`. */
  timestampQuery: boolean;
  /** Every feature name the adapter reports, sorted. */
  all: string[];
}

/**
 * Where the backend stands: an adapter the options select, what it is and can do, or why there is none.
 * `initialized` says whether the backend holds a device on it (after `tf.setBackend('webgpu')`).
 */
export type WebGpuStatus =
  | {
      available: true;
      runtime: WebGpuRuntime;
      adapter: WebGpuAdapterInfo;
      /** Shorthand for `adapter.software`: a CPU adapter, for correctness tests rather than speed. */
      software: boolean;
      limits: WebGpuLimits;
      features: WebGpuFeatures;
      initialized: boolean;
    }
  | { available: false; runtime: WebGpuRuntime | null; reason: string };
