import { readFileSync } from 'node:fs';

/**
 * An estimate of a CPU's fp32 peak, the yardstick `alexnet bench --profile` divides each kernel's GFLOP/s by. It is
 * arithmetic on what the machine tells (instruction set, threads, clock), plus one assumption that no file states:
 * how many vector FMA units a core has. Turbo, thermal limits and SMT siblings sharing units are not modelled, so the
 * number is "what the vector units could do at the reported clock", not a measured ceiling.
 */

/** The vector instruction sets the peak knows: the native addon's names, and WebAssembly's 128-bit SIMD. */
export type VectorIsa = 'avx512' | 'avx2' | 'sse' | 'wasm-simd128';

/** fp32 lanes of one vector register. */
const LANES: Record<VectorIsa, number> = { avx512: 16, avx2: 8, sse: 4, 'wasm-simd128': 4 };

/** Whether one instruction multiplies and adds (2 FLOPs a lane): AVX2 comes with FMA here (the addon requires both). */
const FUSED: Record<VectorIsa, boolean> = { avx512: true, avx2: true, sse: false, 'wasm-simd128': false };

export interface PeakInputs {
  isa: VectorIsa;
  threads: number;
  /** The core clock, MHz. */
  mhz: number;
  /** Vector FMA units a core (without FMA: the add and multiply pipes issuing together, counted as this many). */
  fmaUnits: number;
}

export interface PeakEstimate {
  gflops: number;
  /** How the number was made, for the bench output: each factor, the assumed one said to be assumed. */
  basis: string;
}

/** threads x units x lanes x (2 with FMA, else 1) x GHz. */
export function peakGflops(p: PeakInputs): PeakEstimate {
  const flopsPerCycle = p.fmaUnits * LANES[p.isa] * (FUSED[p.isa] ? 2 : 1);
  const gflops = (p.threads * flopsPerCycle * p.mhz) / 1000;
  const unit = FUSED[p.isa] ? 'FMA units/core (assumed)' : 'add+mul pipes/core (assumed)';
  return {
    gflops,
    basis: `estimate: ${p.threads} threads x ${p.fmaUnits} ${unit} x ${LANES[p.isa]} fp32 lanes (${p.isa})${FUSED[p.isa] ? ' x 2 (FMA)' : ''} x ${(p.mhz / 1000).toFixed(3)} GHz (reported clock)`,
  };
}

/**
 * Vector units a core is assumed to have: 2 on current x86 cores for 256-bit (Zen 2-5, Intel since Haswell) and for
 * 512-bit (Zen 5, Xeon Skylake-SP and later). Zen 4 (AMD family 0x19 with AVX-512) runs 512-bit instructions on its
 * two 256-bit pipes, one 512-bit FMA a cycle, so it counts 1 there. Without FMA, one add and one multiply pipe.
 */
export function assumedFmaUnits(isa: VectorIsa, cpu: { vendor?: string; family?: number } = {}): number {
  if (isa === 'avx512' && cpu.vendor === 'AuthenticAMD' && cpu.family === 0x19) return 1;
  return 2;
}

/**
 * The clock in MHz: cpufreq's cpuinfo_max_freq (kHz) when the kernel exposes it, else the largest "cpu MHz" of
 * /proc/cpuinfo (the current clock of each core, which virtual machines report as the nominal one).
 */
export function clockMHz(cpuinfo: string, maxFreqKHz?: string): number | undefined {
  const khz = Number(maxFreqKHz?.trim());
  if (maxFreqKHz && Number.isFinite(khz) && khz > 0) return khz / 1000;
  const values = [...cpuinfo.matchAll(/^cpu MHz\s*:\s*([0-9.]+)/gm)].map((m) => Number(m[1]));
  return values.length > 0 ? Math.max(...values) : undefined;
}

/** The first "vendor_id" and "cpu family" of /proc/cpuinfo. */
export function cpuIdentity(cpuinfo: string): { vendor?: string; family?: number } {
  const vendor = /^vendor_id\s*:\s*(\S+)/m.exec(cpuinfo)?.[1];
  const family = /^cpu family\s*:\s*(\d+)/m.exec(cpuinfo)?.[1];
  return { vendor, family: family === undefined ? undefined : Number(family) };
}

/** The widest instruction set the "flags" line lists, in the addon's naming (its dispatch wants FMA with AVX2). */
export function bestIsa(cpuinfo: string): VectorIsa {
  const flags = new Set((/^flags\s*:(.*)$/m.exec(cpuinfo)?.[1] ?? '').trim().split(/\s+/));
  if (flags.has('avx512f')) return 'avx512';
  if (flags.has('avx2') && flags.has('fma')) return 'avx2';
  return 'sse';
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * This machine's estimate for `threads` threads of `isa` (default: the best /proc/cpuinfo lists); undefined where
 * the clock cannot be read (no /proc/cpuinfo: not Linux).
 */
export function machinePeak(threads: number, isa?: VectorIsa): PeakEstimate | undefined {
  const cpuinfo = readOptional('/proc/cpuinfo');
  if (cpuinfo === undefined) return undefined;
  const mhz = clockMHz(cpuinfo, readOptional('/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq'));
  if (mhz === undefined) return undefined;
  const chosen = isa ?? bestIsa(cpuinfo);
  return peakGflops({ isa: chosen, threads, mhz, fmaUnits: assumedFmaUnits(chosen, cpuIdentity(cpuinfo)) });
}
