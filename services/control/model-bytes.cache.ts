/** A hold on one model's bytes: they stay counted, and in memory, until `release`. */
export interface ModelBytesHold {
  readonly data: Buffer;
  release(): void;
}

interface Entry {
  sizeBytes: number;
  readonly data: Promise<Buffer>;
  holders: number;
  loaded: boolean;
}

/**
 * Model bytes in memory, bounded by their total size: what is kept, what is being loaded (reserved
 * at its size before the load starts) and what fetches are still streaming. A held or loading model
 * is never evicted, so a model is never in memory twice; unheld ones are evicted least recently used
 * first. Loads are single-flight: concurrent requests for one hash share one load (one read from
 * Postgres). A model that does not fit gets no hold, and the caller reads it another way.
 */
export class ModelBytesCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(readonly limitBytes: number) {}

  /** Bytes this cache answers for: kept, loading and held. Never above `limitBytes`. */
  get size(): number {
    return this.bytes;
  }

  /** A hold on a model already here (kept or loading); undefined otherwise. */
  hold(sha256: string): Promise<ModelBytesHold> | undefined {
    const entry = this.entries.get(sha256);
    return entry && this.holdOf(sha256, entry);
  }

  /**
   * A hold on the model, loading it (`sizeBytes` reserved first) when it is not here; null when
   * the reservation does not fit even after evicting every unheld model. A failed load is not kept,
   * frees its reservation and rejects every waiter.
   */
  acquire(sha256: string, sizeBytes: number, load: () => Promise<Buffer>): Promise<ModelBytesHold> | null {
    const entry = this.entries.get(sha256) ?? this.reserve(sha256, sizeBytes, load);
    return entry ? this.holdOf(sha256, entry) : null;
  }

  private holdOf(sha256: string, entry: Entry): Promise<ModelBytesHold> {
    this.entries.delete(sha256);
    this.entries.set(sha256, entry);
    entry.holders++;
    return entry.data.then((data) => {
      let held = true;
      return {
        data,
        release: () => {
          if (!held) return;
          held = false;
          entry.holders--;
        },
      };
    });
  }

  private reserve(sha256: string, sizeBytes: number, load: () => Promise<Buffer>): Entry | null {
    if (!this.makeRoom(sizeBytes)) return null;
    this.bytes += sizeBytes;
    const entry: Entry = {
      sizeBytes,
      holders: 0,
      loaded: false,
      // Settles before any waiter's continuation: accounting is right by the time a waiter runs.
      data: (async () => load())().then(
        (data) => {
          this.bytes += data.length - entry.sizeBytes;
          entry.sizeBytes = data.length;
          entry.loaded = true;
          return data;
        },
        (err: unknown) => {
          this.entries.delete(sha256);
          this.bytes -= entry.sizeBytes;
          throw err;
        },
      ),
    };
    this.entries.set(sha256, entry);
    return entry;
  }

  /** Evicts unheld models, least recently used first, only if that leaves room for `sizeBytes`. */
  private makeRoom(sizeBytes: number): boolean {
    const evictable = [...this.entries].filter(([, e]) => e.loaded && e.holders === 0);
    const freeable = evictable.reduce((n, [, e]) => n + e.sizeBytes, 0);
    if (this.bytes - freeable + sizeBytes > this.limitBytes) return false;
    for (const [key, e] of evictable) {
      if (this.bytes + sizeBytes <= this.limitBytes) break;
      this.entries.delete(key);
      this.bytes -= e.sizeBytes;
    }
    return true;
  }
}
