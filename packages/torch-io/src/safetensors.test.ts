import { describe, expect, it } from 'vitest';
import { readSafetensors, writeSafetensors } from './safetensors.js';

describe('safetensors', () => {
  it('round-trips float32 and int32 tensors with metadata, keeping key order and 8-byte alignment', () => {
    const bytes = writeSafetensors(
      {
        'features.0.weight': { dtype: 'float32', shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 0, 1e-8, -7]) },
        labels: { dtype: 'int32', shape: [3], data: Int32Array.from([3, -1, 999]) },
        scalar: { dtype: 'float32', shape: [], data: Float32Array.from([2.5]) },
      },
      { model: 'alexnet_v1', config: '{"numClasses":10}' },
    );
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLength) % 8).toBe(0);
    const { tensors, metadata } = readSafetensors(bytes);
    expect(Object.keys(tensors)).toEqual(['features.0.weight', 'labels', 'scalar']);
    expect(tensors['features.0.weight']).toEqual({
      dtype: 'float32',
      shape: [2, 3],
      data: Float32Array.from([1, -2, 3.5, 0, 1e-8, -7]),
    });
    expect(tensors.labels).toEqual({ dtype: 'int32', shape: [3], data: Int32Array.from([3, -1, 999]) });
    expect(tensors.scalar.shape).toEqual([]);
    expect(metadata).toEqual({ model: 'alexnet_v1', config: '{"numClasses":10}' });
  });

  it('decodes F16, BF16, F64 and I64 tensors', () => {
    const header = JSON.stringify({
      h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] },
      b: { dtype: 'BF16', shape: [1], data_offsets: [4, 6] },
      d: { dtype: 'F64', shape: [1], data_offsets: [8, 16] },
      l: { dtype: 'I64', shape: [1], data_offsets: [16, 24] },
    }).padEnd(200, ' ');
    const body = new DataView(new ArrayBuffer(24));
    body.setUint16(0, 0x3c00, true); // 1.0
    body.setUint16(2, 0xc000, true); // -2.0
    body.setUint16(4, 0x4049, true); // bfloat16 3.140625
    body.setFloat64(8, Math.PI, true);
    body.setBigInt64(16, -5n, true);
    const bytes = new Uint8Array(8 + header.length + 24);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
    bytes.set(new TextEncoder().encode(header), 8);
    bytes.set(new Uint8Array(body.buffer), 8 + header.length);
    const { tensors } = readSafetensors(bytes);
    expect(Array.from(tensors.h.data)).toEqual([1, -2]);
    expect(tensors.b.data[0]).toBeCloseTo(3.140625, 6);
    expect(tensors.d.data[0]).toBeCloseTo(Math.PI, 6);
    expect(tensors.l).toEqual({ dtype: 'int32', shape: [1], data: Int32Array.from([-5]) });
  });

  it('rejects truncated and malformed files with the file name and the reason', () => {
    const good = writeSafetensors({ w: { dtype: 'float32', shape: [4], data: new Float32Array(4) } });
    expect(() => readSafetensors(good.subarray(0, 5), 'w.safetensors')).toThrow(
      /w\.safetensors is not a valid safetensors file: only 5 bytes/,
    );
    expect(() => readSafetensors(good.subarray(0, good.byteLength - 4), 'w.safetensors')).toThrow(
      /tensor "w" .* outside the 12 data bytes/,
    );
    const notJson = good.slice();
    notJson[8] = 0x7b + 1;
    expect(() => readSafetensors(notJson, 'x.safetensors')).toThrow(/x\.safetensors .*header is not JSON/);
    const hugeHeader = good.slice();
    new DataView(hugeHeader.buffer).setBigUint64(0, 10_000n, true);
    expect(() => readSafetensors(hugeHeader)).toThrow(/header length 10000 exceeds the file size/);
  });
});
