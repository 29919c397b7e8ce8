/**
 * Recycles the float32 arrays the native kernels write their outputs into.
 *
 * A fresh `Float32Array` of tens of megabytes costs 0.5-0.8 ms a megabyte in page faults when it is first written
 * (`pnpm bench` in this package: 21-32 ms to allocate and fill 37 MB, under 4 ms to refill a used one), and a training
 * step writes close to a gigabyte of activations and gradients. Arrays freed by one step are handed to the same kernels in the next.
 *
 * Only arrays this pool handed out are recycled, and only while nothing else can see them: an array read out with
 * `dataSync()` / `data()`, or stored under a second tensor or as a view (a CPU kernel's slice), is never reused.
 */
export class FloatPool {
  private readonly free = new Map<number, Float32Array[]>();
  private readonly issued = new WeakSet<ArrayBuffer>();
  private readonly pinned = new WeakSet<ArrayBuffer>();
  private readonly stored = new WeakSet<ArrayBuffer>();
  private freeBytes = 0;

  /**
   * @param minLength - smaller arrays are cheap to allocate and are left to the garbage collector
   * @param maxFreeBytes - the most the pool keeps unused; beyond it freed arrays go to the garbage collector
   * @param maxPerLength - the most unused arrays kept of any one length
   */
  constructor(
    private readonly minLength = 1 << 14,
    private readonly maxFreeBytes = 1 << 30,
    private readonly maxPerLength = 3,
  ) {}

  /** An array of `length` floats, recycled when one is free. Its contents are arbitrary: the caller writes all of it. */
  take(length: number): Float32Array {
    if (length >= this.minLength) {
      const recycled = this.free.get(length)?.pop();
      if (recycled) {
        this.freeBytes -= recycled.byteLength;
        return recycled;
      }
    }
    const array = new Float32Array(length);
    if (length >= this.minLength) this.issued.add(array.buffer as ArrayBuffer);
    return array;
  }

  /** Called as the backend stores `values` under a tensor: a second tensor or a view pins the array for good. */
  onStore(values: unknown): void {
    if (!ArrayBuffer.isView(values)) return;
    const buffer = values.buffer as ArrayBuffer;
    if (!this.issued.has(buffer)) return;
    const whole = values.byteOffset === 0 && values.byteLength === buffer.byteLength;
    if (!whole || this.stored.has(buffer)) this.pinned.add(buffer);
    this.stored.add(buffer);
  }

  /** Called when user code reads an array out: it may keep it, so it is never recycled. */
  onRead(values: unknown): void {
    if (ArrayBuffer.isView(values)) this.pinned.add(values.buffer as ArrayBuffer);
  }

  /** Called when the tensor holding `values` is freed. */
  onFree(values: unknown): void {
    if (!(values instanceof Float32Array)) return;
    const buffer = values.buffer as ArrayBuffer;
    if (!this.issued.has(buffer) || this.pinned.has(buffer)) return;
    this.stored.delete(buffer);
    const list = this.free.get(values.length) ?? [];
    if (list.length >= this.maxPerLength || this.freeBytes + values.byteLength > this.maxFreeBytes) return;
    list.push(values);
    this.free.set(values.length, list);
    this.freeBytes += values.byteLength;
  }

  /** Drops every unused array (for the garbage collector to free). */
  clear(): void {
    this.free.clear();
    this.freeBytes = 0;
  }

  /** Bytes held in unused arrays. */
  get unusedBytes(): number {
    return this.freeBytes;
  }
}
