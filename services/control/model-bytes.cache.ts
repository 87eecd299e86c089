/**
 * Model bytes in memory, bounded by their total size, least recently used evicted first. Loads are
 * single-flight: concurrent requests for one hash share one load (one read from Postgres).
 */
export class ModelBytesCache {
  private readonly entries = new Map<string, Buffer>();
  private readonly loading = new Map<string, Promise<Buffer | null>>();
  private bytes = 0;

  constructor(readonly limitBytes: number) {}

  get size(): number {
    return this.bytes;
  }

  /** Whether a model of this size is ever kept here. */
  fits(sizeBytes: number): boolean {
    return sizeBytes <= this.limitBytes;
  }

  peek(sha256: string): Buffer | undefined {
    const hit = this.entries.get(sha256);
    if (hit) {
      this.entries.delete(sha256);
      this.entries.set(sha256, hit);
    }
    return hit;
  }

  /** The cached bytes, or the result of `load` (shared with concurrent callers, kept when it fits). */
  get(sha256: string, load: () => Promise<Buffer | null>): Promise<Buffer | null> {
    const hit = this.peek(sha256);
    if (hit) return Promise.resolve(hit);
    const pending = this.loading.get(sha256);
    if (pending) return pending;
    const loaded = load()
      .then((data) => {
        if (data) this.put(sha256, data);
        return data;
      })
      .finally(() => this.loading.delete(sha256));
    this.loading.set(sha256, loaded);
    return loaded;
  }

  private put(sha256: string, data: Buffer): void {
    if (!this.fits(data.length) || this.entries.has(sha256)) return;
    for (const [key, old] of this.entries) {
      if (this.bytes + data.length <= this.limitBytes) break;
      this.entries.delete(key);
      this.bytes -= old.length;
    }
    this.entries.set(sha256, data);
    this.bytes += data.length;
  }
}
