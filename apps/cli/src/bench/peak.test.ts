import { describe, expect, it } from 'vitest';
import { assumedFmaUnits, bestIsa, clockMHz, cpuIdentity, peakGflops } from './peak.js';

const CPUINFO = `processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 26
cpu MHz\t\t: 2596.098
flags\t\t: fpu sse sse2 avx fma avx2 avx512f avx512bw
processor\t: 1
vendor_id\t: AuthenticAMD
cpu family\t: 26
cpu MHz\t\t: 2400.000
flags\t\t: fpu sse sse2 avx fma avx2 avx512f avx512bw
`;

describe('peakGflops', () => {
  it('multiplies threads, units, lanes, 2 for FMA and the clock', () => {
    // 2 x 2 x 16 x 2 x 2.5 GHz = 320; 4 x 2 x 8 x 2 x 3 GHz = 384; SSE, no FMA: 1 x 2 x 4 x 1 x 2 GHz = 16.
    expect(peakGflops({ isa: 'avx512', threads: 2, mhz: 2500, fmaUnits: 2 }).gflops).toBeCloseTo(320, 9);
    expect(peakGflops({ isa: 'avx2', threads: 4, mhz: 3000, fmaUnits: 2 }).gflops).toBeCloseTo(384, 9);
    expect(peakGflops({ isa: 'sse', threads: 1, mhz: 2000, fmaUnits: 2 }).gflops).toBeCloseTo(16, 9);
    expect(peakGflops({ isa: 'wasm-simd128', threads: 2, mhz: 2000, fmaUnits: 2 }).gflops).toBeCloseTo(32, 9);
  });

  it('says it is an estimate and which factor is assumed', () => {
    const { basis } = peakGflops({ isa: 'avx2', threads: 2, mhz: 2596.098, fmaUnits: 2 });
    expect(basis).toBe(
      'estimate: 2 threads x 2 FMA units/core (assumed) x 8 fp32 lanes (avx2) x 2 (FMA) x 2.596 GHz (reported clock)',
    );
  });
});

describe('reading the machine', () => {
  it('takes the largest cpu MHz, or cpufreq max when there is one (kHz)', () => {
    expect(clockMHz(CPUINFO)).toBe(2596.098);
    expect(clockMHz(CPUINFO, '3700000\n')).toBe(3700);
    expect(clockMHz(CPUINFO, '')).toBe(2596.098);
    expect(clockMHz('processor : 0\n')).toBeUndefined();
  });

  it('finds the vendor, family and widest instruction set', () => {
    expect(cpuIdentity(CPUINFO)).toEqual({ vendor: 'AuthenticAMD', family: 26 });
    expect(bestIsa(CPUINFO)).toBe('avx512');
    expect(bestIsa('flags\t: sse sse2 avx fma avx2\n')).toBe('avx2');
    // AVX2 without FMA is not the addon's avx2 kernel.
    expect(bestIsa('flags\t: sse sse2 avx avx2\n')).toBe('sse');
  });

  it('assumes 2 units, 1 for 512-bit on Zen 4 (family 0x19), which splits it over two 256-bit pipes', () => {
    expect(assumedFmaUnits('avx512', { vendor: 'AuthenticAMD', family: 26 })).toBe(2);
    expect(assumedFmaUnits('avx512', { vendor: 'AuthenticAMD', family: 25 })).toBe(1);
    expect(assumedFmaUnits('avx2', { vendor: 'AuthenticAMD', family: 25 })).toBe(2);
    expect(assumedFmaUnits('avx512', { vendor: 'GenuineIntel', family: 6 })).toBe(2);
  });
});
