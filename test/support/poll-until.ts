export interface PollOptions {
  /** What is awaited, for the error message. */
  what: string;
  timeoutMs: number;
  intervalMs?: number;
}

/** Calls `probe` until it returns a truthy value (returned) or throws past the deadline. */
export async function pollUntil<T>(probe: () => Promise<T> | T, opts: PollOptions): Promise<NonNullable<T>> {
  const deadline = Date.now() + opts.timeoutMs;
  let last: string;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value as NonNullable<T>;
      last = `last value ${JSON.stringify(value)}`;
    } catch (err) {
      last = `last error: ${(err as Error).message}`;
    }
    if (Date.now() >= deadline) throw new Error(`${opts.what}: not after ${opts.timeoutMs} ms (${last})`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}
