import { describe, expect, it } from 'vitest';
import { isZip, readZip } from './read-zip.js';
import { writeStoredZip } from './write-zip.js';

describe('readZip', () => {
  const archive = writeStoredZip([
    ['archive/data.pkl', Uint8Array.of(0x80, 2, 0x4e, 0x2e)],
    ['archive/data/0', new Uint8Array(100).fill(7)],
  ]);

  it('reads stored entries as views into the archive, their data aligned to 64 bytes', () => {
    expect(isZip(archive)).toBe(true);
    const entries = readZip(archive, 'a.zip');
    expect([...entries.keys()]).toEqual(['archive/data.pkl', 'archive/data/0']);
    const data = entries.get('archive/data/0') as Uint8Array;
    expect(data.buffer).toBe(archive.buffer);
    expect(data.byteOffset % 64).toBe(0);
    expect([...data]).toEqual(new Array(100).fill(7));
  });

  it('names the archive and the reason for a truncated or damaged one', () => {
    expect(() => readZip(archive.subarray(0, archive.byteLength - 30), 'cut.zip')).toThrow(
      /cut\.zip is not a readable zip archive: end of central directory not found/,
    );
    const damaged = archive.slice();
    const view = new DataView(damaged.buffer);
    const eocd = damaged.byteLength - 22;
    const directory = view.getUint32(eocd + 16, true);
    view.setUint32(directory + 42, 0x7fffffff, true); // the first entry's local header offset
    expect(() => readZip(damaged, 'bad.zip')).toThrow(/bad\.zip .*entry "archive\/data\.pkl" has no local header/);
    const compressed = archive.slice();
    new DataView(compressed.buffer).setUint16(directory + 10, 8, true);
    expect(() => readZip(compressed, 'deflated.zip')).toThrow(/entry "archive\/data\.pkl" is compressed \(method 8\)/);
  });

  it('refuses an archive that holds an entry name twice, naming it (zip readers disagree on which copy wins)', () => {
    const twice = writeStoredZip([
      ['archive/data.pkl', Uint8Array.of(0x80, 2, 0x4e, 0x2e)],
      ['archive/data/0', new Uint8Array(8).fill(1)],
      ['archive/data/0', new Uint8Array(8).fill(9)],
    ]);
    expect(() => readZip(twice, 'twice.pth')).toThrow(
      /^twice\.pth is not a readable zip archive: entry "archive\/data\/0" appears twice \(entries 1 and 2\)$/,
    );
  });
});
