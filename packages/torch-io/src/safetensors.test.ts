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
      b: { dtype: 'BF16', shape: [2], data_offsets: [4, 8] }, // contiguous: the format allows no gaps
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

  it('refuses an I64 element outside the int32 range, naming the tensor, rather than wrapping it', () => {
    const header = JSON.stringify({ l: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }).padEnd(64, ' ');
    const bytes = new Uint8Array(8 + header.length + 16);
    const view = new DataView(bytes.buffer);
    view.setBigUint64(0, BigInt(header.length), true);
    bytes.set(new TextEncoder().encode(header), 8);
    view.setBigInt64(8 + header.length, 1n, true);
    view.setBigInt64(8 + header.length + 8, -(2n ** 40n), true);
    expect(() => readSafetensors(bytes, 'big.safetensors')).toThrow(
      /^big\.safetensors is not a valid safetensors file: tensor "l" holds -1099511627776 at element 1, outside the int32 range its int64 elements are read into$/,
    );
  });

  it('refuses a header that names a tensor twice, a name that is not UTF-8, or a tensor named __proto__', () => {
    const file = (header: Uint8Array, dataBytes: number) => {
      const bytes = new Uint8Array(8 + header.byteLength + dataBytes);
      new DataView(bytes.buffer).setBigUint64(0, BigInt(header.byteLength), true);
      bytes.set(header, 8);
      return bytes;
    };
    const encode = (text: string) => new TextEncoder().encode(text);
    const entry = (begin: number) => `{"dtype":"F32","shape":[1],"data_offsets":[${begin},${begin + 4}]}`;
    // Both copies at the same bytes: the layout check alone passed it, reading the second.
    const twice = file(encode(`{"w": ${entry(0)}, "a\\"{": ${entry(0)}, "w" : ${entry(0)}}`), 4);
    expect(() => readSafetensors(twice, 'twice.safetensors')).toThrow(
      /^twice\.safetensors is not a valid safetensors file: header names "w" twice$/,
    );
    // Names in nested objects (each entry's own keys) are no top-level duplicates.
    const nested = file(encode(`{"a": ${entry(0)}, "b": ${entry(4)}}`), 8);
    expect(Object.keys(readSafetensors(nested).tensors)).toEqual(['a', 'b']);
    const notUtf8 = file(Uint8Array.of(...encode('{"w'), 0xff, ...encode(`": ${entry(0)}}`)), 4);
    expect(() => readSafetensors(notUtf8, 'bytes.safetensors')).toThrow(
      /^bytes\.safetensors is not a valid safetensors file: header is not valid UTF-8$/,
    );
    // A byte-order mark before the JSON is refused, as the reference reader (serde_json) refuses it.
    const bom = file(encode(`\ufeff{"w": ${entry(0)}}`), 4);
    expect(() => readSafetensors(bom, 'bom.safetensors')).toThrow(/^bom\.safetensors .*: header is not JSON/);
    const proto = file(encode(`{"__proto__": ${entry(0)}}`), 4);
    expect(() => readSafetensors(proto, 'proto.safetensors')).toThrow(
      /^proto\.safetensors is not a valid safetensors file: tensor "__proto__" has a name that cannot be a key/,
    );
  });

  it('refuses a finite F64 element beyond the float32 range rather than reading it as infinity', () => {
    const header = JSON.stringify({ d: { dtype: 'F64', shape: [2], data_offsets: [0, 16] } }).padEnd(64, ' ');
    const bytes = new Uint8Array(8 + header.length + 16);
    const view = new DataView(bytes.buffer);
    view.setBigUint64(0, BigInt(header.length), true);
    bytes.set(new TextEncoder().encode(header), 8);
    view.setFloat64(8 + header.length, 0.5, true);
    view.setFloat64(8 + header.length + 8, 1e300, true);
    expect(() => readSafetensors(bytes, 'wide.safetensors')).toThrow(
      /^wide\.safetensors is not a valid safetensors file: tensor "d" holds 1e\+300 at element 1, outside the float32 range its float64 elements are read into$/,
    );
    // Infinity and NaN themselves are read as they are (the non-finite check of the models package names them).
    view.setFloat64(8 + header.length + 8, Number.POSITIVE_INFINITY, true);
    expect(Array.from(readSafetensors(bytes).tensors.d.data)).toEqual([0.5, Number.POSITIVE_INFINITY]);
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

  /** A safetensors file of `header` (written as given) and `dataBytes` zero bytes of data. */
  const file = (header: unknown, dataBytes: number) => {
    const json = new TextEncoder().encode(JSON.stringify(header));
    const bytes = new Uint8Array(8 + json.byteLength + dataBytes);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(json.byteLength), true);
    bytes.set(json, 8);
    return bytes;
  };
  const f32 = (shape: number[], begin: number, end: number) => ({ dtype: 'F32', shape, data_offsets: [begin, end] });

  it('rejects overlapping ranges, gaps and bytes left over, as the specification does, naming both tensors', () => {
    expect(() => readSafetensors(file({ a: f32([2], 0, 8), b: f32([2], 4, 12) }, 12), 'o.safetensors')).toThrow(
      /^o\.safetensors is not a valid safetensors file: tensor "b" \(bytes \[4, 12\)\) overlaps tensor "a"/,
    );
    // The same range twice is an overlap too (two names for one tensor's bytes).
    expect(() => readSafetensors(file({ a: f32([2], 0, 8), b: f32([2], 0, 8) }, 8), 'd.safetensors')).toThrow(
      /d\.safetensors .*tensor "b" .*overlaps tensor "a"/,
    );
    expect(() => readSafetensors(file({ a: f32([1], 0, 4), b: f32([1], 8, 12) }, 12), 'g.safetensors')).toThrow(
      /g\.safetensors .*tensor "b" \(bytes \[8, 12\)\) leaves a gap of 4 bytes after tensor "a"/,
    );
    expect(() => readSafetensors(file({ a: f32([1], 4, 8) }, 8), 'h.safetensors')).toThrow(
      /h\.safetensors .*tensor "a" .*leaves a gap of 4 bytes after the header/,
    );
    expect(() => readSafetensors(file({ a: f32([1], 0, 4) }, 12), 't.safetensors')).toThrow(
      /t\.safetensors .*the tensors cover 4 of the 12 data bytes \(8 bytes left over\)/,
    );
    // Order in the header does not matter; order of the byte ranges does. Empty tensors take no bytes.
    const { tensors } = readSafetensors(file({ b: f32([1], 4, 8), e: f32([0], 4, 4), a: f32([1], 0, 4) }, 8));
    expect(Object.keys(tensors)).toEqual(['b', 'e', 'a']);
    expect(tensors.e.shape).toEqual([0]);
  });

  it('names the file and the tensor for every malformed header entry, never a TypeError', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ dtype: 'toString', shape: [1], data_offsets: [0, 4] }, /tensor "x" has unsupported dtype "toString"/],
      [{ dtype: '__proto__', shape: [1], data_offsets: [0, 4] }, /tensor "x" has unsupported dtype "__proto__"/],
      [{ dtype: 'constructor', shape: [1], data_offsets: [0, 4] }, /unsupported dtype "constructor"/],
      [{ dtype: 3, shape: [1], data_offsets: [0, 4] }, /tensor "x" has unsupported dtype 3/],
      [{ shape: [1], data_offsets: [0, 4] }, /tensor "x" has unsupported dtype undefined/],
      [{ dtype: 'F32', data_offsets: [0, 4] }, /tensor "x" has shape undefined, not a list of non-negative integers/],
      [{ dtype: 'F32', shape: [-1], data_offsets: [0, 4] }, /tensor "x" has shape \[-1\], not a list/],
      [{ dtype: 'F32', shape: [1.5], data_offsets: [0, 4] }, /tensor "x" has shape \[1\.5\], not a list/],
      [{ dtype: 'F32', shape: ['1'], data_offsets: [0, 4] }, /tensor "x" has shape \["1"\], not a list/],
      [{ dtype: 'F32', shape: 4, data_offsets: [0, 4] }, /tensor "x" has shape 4, not a list/],
      [{ dtype: 'F32', shape: [1] }, /tensor "x" has data_offsets undefined, not two non-negative integers/],
      [{ dtype: 'F32', shape: [1], data_offsets: [0] }, /tensor "x" has data_offsets \[0\], not two/],
      [{ dtype: 'F32', shape: [1], data_offsets: [-4, 0] }, /tensor "x" has data_offsets \[-4,0\], not two/],
      [{ dtype: 'F32', shape: [1], data_offsets: [0, 4.5] }, /tensor "x" has data_offsets \[0,4\.5\], not two/],
      [
        { dtype: 'F32', shape: [1], data_offsets: [4, 0] },
        /tensor "x" \(F32 \[1\], 4 bytes\) has byte range \[4, 0\) of the wrong size/,
      ],
      [
        { dtype: 'F16', shape: [3], data_offsets: [0, 4] },
        /tensor "x" \(F16 \[3\], 6 bytes\) has byte range \[0, 4\) of the wrong size/,
      ],
      [{ dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 4] }, /tensor "x" .* of the wrong size/],
      ['F32', /tensor "x" is not a JSON object/],
      [null, /tensor "x" is not a JSON object/],
    ];
    for (const [entry, error] of cases) {
      const bytes = file({ x: entry }, 4);
      let thrown: unknown;
      try {
        readSafetensors(bytes, 'bad.safetensors');
      } catch (e) {
        thrown = e;
      }
      expect((thrown as Error)?.constructor, JSON.stringify(entry)).toBe(Error);
      expect((thrown as Error).message, JSON.stringify(entry)).toMatch(
        /^bad\.safetensors is not a valid safetensors file: /,
      );
      expect((thrown as Error).message, JSON.stringify(entry)).toMatch(error);
    }
    for (const [header, error] of [
      [null, /header is not a JSON object/],
      [[1, 2], /header is not a JSON object/],
      [{ __metadata__: 'x' }, /__metadata__ is not a JSON object/],
      [{ __metadata__: { a: 1 } }, /__metadata__ entry "a" is not a string/],
    ] as Array<[unknown, RegExp]>) {
      expect(() => readSafetensors(file(header, 0), 'bad.safetensors'), JSON.stringify(header)).toThrow(error);
    }
  });
});
