/**
 * One HTTP download streamed to a sink, with progress and errors that name the URL. Platform-neutral (the global
 * `fetch` and web streams of Node.js 20+ and browsers): the weights caches of both platforms use it.
 */

/** What {@link download} does with the body. */
export interface DownloadSink {
  /** The size the caller expects, for progress when the server sends no `Content-Length`. */
  expectedBytes: number | null;
  /** Takes each chunk of the body in order; the download waits for it. */
  write(chunk: Uint8Array): void | Promise<void>;
  /** `(received, total)`: once at 0 when the response starts, then after each chunk. */
  onProgress?: (received: number, total: number | null) => void;
  /** Milliseconds without a byte (before the response, or between chunks) after which the download gives up. */
  idleTimeoutMs?: number;
}

/** A minute without a byte: a stalled server or network, not a slow one, which still sends something. */
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

/**
 * Downloads `url` into `sink` and resolves to the number of bytes received. Throws naming the URL on a failed
 * connection, an HTTP status other than 2xx, a body cut short, or fewer or more bytes than `Content-Length` said:
 * the caller then throws away what it wrote.
 */
export async function download(url: string, sink: DownloadSink): Promise<number> {
  const idle = sink.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  if (!(typeof idle === 'number' && idle > 0 && Number.isFinite(idle))) {
    throw new RangeError(`idleTimeoutMs must be a positive number of milliseconds, got ${sink.idleTimeoutMs}`);
  }
  const controller = new AbortController();
  let received = 0;
  let stalled: Error | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  // Re-armed at every chunk (with the bytes so far): fetch has no timeout of its own, and a server that stops
  // sending would hang forever.
  const arm = (bytes: number) => {
    received = bytes;
    clearTimeout(timer);
    timer = setTimeout(() => {
      stalled = new Error(
        `Download of ${url} stalled: nothing received for ${idle / 1000} s (after ${received} bytes)`,
      );
      controller.abort(stalled);
    }, idle);
  };
  arm(0);
  try {
    return await downloadBody(url, sink, controller.signal, arm);
  } catch (error) {
    throw stalled ?? error;
  } finally {
    clearTimeout(timer);
  }
}

async function downloadBody(
  url: string,
  sink: DownloadSink,
  signal: AbortSignal,
  alive: (received: number) => void,
): Promise<number> {
  let response: Response;
  try {
    response = await fetch(url, { redirect: 'follow', signal });
  } catch (error) {
    throw new Error(`Cannot download ${url}: ${reason(error)}`, { cause: error });
  }
  alive(0);
  if (!response.ok || !response.body) {
    await response.body?.cancel().catch(() => {});
    const status = response.ok ? 'the response has no body' : `HTTP ${response.status} ${response.statusText}`.trim();
    throw new Error(`Cannot download ${url}: ${status}`);
  }
  // With a Content-Encoding the header counts compressed bytes, and fetch hands over decompressed ones.
  const announced = response.headers.get('content-encoding') ? null : contentLength(response.headers);
  const total = announced ?? sink.expectedBytes;
  let received = 0;
  sink.onProgress?.(0, total);
  const reader = response.body.getReader();
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (error) {
        const of = total === null ? '' : ` of ${total}`;
        throw new Error(`Download of ${url} was interrupted after ${received}${of} bytes: ${reason(error)}`, {
          cause: error,
        });
      }
      if (chunk.done) break;
      received += chunk.value.byteLength;
      alive(received);
      if (announced !== null && received > announced) {
        throw new Error(`Download of ${url} sent more than the ${announced} bytes its Content-Length announced`);
      }
      await sink.write(chunk.value);
      sink.onProgress?.(received, total);
    }
  } finally {
    // Releases the connection when a write or a check above gave up early.
    await reader.cancel().catch(() => {});
  }
  if (announced !== null && received !== announced) {
    throw new Error(
      `Download of ${url} ended after ${received} bytes; its Content-Length announced ${announced} (the connection was cut short)`,
    );
  }
  return received;
}

function contentLength(headers: Headers): number | null {
  const value = headers.get('content-length');
  return value !== null && /^\d+$/.test(value) ? Number(value) : null;
}

/** Why a fetch failed, from the error and its causes (Node.js puts the socket's error, `ECONNREFUSED`, in `cause`). */
function reason(error: unknown): string {
  const causes: string[] = [];
  for (let e = error as { message?: string; code?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    const text = e.code === 'ECONNREFUSED' ? 'connection refused (ECONNREFUSED)' : (e.message ?? String(e));
    if (text && !causes.includes(text)) causes.push(text);
    if (causes.length > 3) break;
  }
  // fetch's own "fetch failed" says nothing its cause does not.
  const useful = causes.filter((text) => text !== 'fetch failed');
  return (useful.length > 0 ? useful : causes).join(': ') || 'unknown error';
}
