/** The SHA-256 of `bytes` as 64 lower-case hex digits, by the platform's Web Crypto (Node.js 20+, browsers). */
export async function sha256Hex(bytes: ArrayBuffer | ArrayBufferView): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) {
    throw new Error(
      'sha256Hex needs the Web Crypto API (globalThis.crypto.subtle: Node.js 20+, or a secure browser page)',
    );
  }
  const view = ArrayBuffer.isView(bytes) ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes;
  const digest = new Uint8Array(await subtle.digest('SHA-256', view as BufferSource));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}
