import { randomInt } from 'node:crypto';
import { timedMaxRuns, type MeasurementProtocol } from './protocol.js';
import { bootstrapMedianCi, median, relativeCiHalfWidth } from './stats.js';

/** Time as the measurement loop sees it; tests substitute a fake. */
export interface LoopClock {
  /** monotonic nanoseconds */
  nowNs(): bigint;
  /** idle wait that ends early (rejecting) when the signal aborts */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const systemClock: LoopClock = {
  nowNs: () => process.hrtime.bigint(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      signal.throwIfAborted();
      if (ms <= 0) return resolve();
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal.reason);
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
    }),
};

export interface LoopContext {
  clock: LoopClock;
  signal: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export type RunOnce = () => Promise<unknown>;

/** The longest measurement loops run without letting timers and I/O in. */
export const YIELD_EVERY_MS = 1_000;

/** When a measurement loop last let the event loop in (for all loops of the process: a round's jobs are short loops one after another). */
let lastYield = performance.now();

/**
 * Between runs, never inside a timed one: lets the event loop run timers and I/O (the agent's
 * heartbeats, a cancellation) at most every YIELD_EVERY_MS. A runtime whose run finishes
 * synchronously (LiteRT's Wasm build) resolves every `await runOnce()` as a microtask, so a round
 * of such runs would otherwise hold the loop for minutes: control re-queued the round's jobs as
 * lost (no heartbeat for 15 s) while the agent was still measuring them.
 */
export async function yieldBetweenRuns(): Promise<void> {
  if (performance.now() - lastYield < YIELD_EVERY_MS) return;
  // a timer, not setImmediate: the loop goes once round all its phases (timers, I/O) before this resumes
  await new Promise<void>((resolve) => setTimeout(resolve, 0));
  lastYield = performance.now();
}

export interface WarmupOutcome {
  runs: number;
  seconds: number;
}

/** Runs until both `warmupRuns` runs and `warmupMinSeconds` have passed. No pauses: warm-up is meant to heat. */
export async function warmUp(runOnce: RunOnce, p: Pick<MeasurementProtocol, 'warmupRuns' | 'warmupMinSeconds'>, ctx: LoopContext): Promise<WarmupOutcome> {
  const start = ctx.clock.nowNs();
  const minNs = BigInt(Math.round(p.warmupMinSeconds * 1e9));
  let runs = 0;
  while (runs < p.warmupRuns || ctx.clock.nowNs() - start < minNs) {
    await yieldBetweenRuns();
    ctx.signal.throwIfAborted();
    await runOnce();
    runs++;
    ctx.onProgress?.(runs, Math.max(p.warmupRuns, runs));
  }
  return { runs, seconds: Number(ctx.clock.nowNs() - start) / 1e9 };
}

/**
 * - `minimum`: the minimum count and duration were reached (no confidence rule);
 * - `ci`: after the minimums, the median's confidence interval became narrow enough;
 * - `max-runs`: the cap was reached first.
 */
export type StopReason = 'minimum' | 'ci' | 'max-runs';

export interface TimedOutcome {
  latenciesNs: number[];
  stopReason: StopReason;
  /** sum of the timed runs' latencies */
  timedSeconds: number;
  /** relative half-width of the median's 95% CI at the last check (null when never checked) */
  ciRelativeHalfWidth: number | null;
}

type TimedProtocol = Pick<MeasurementProtocol, 'timedRuns' | 'timedMinSeconds' | 'timedMaxRuns' | 'cooldownMs' | 'targetCiFraction'>;

/** Resamples for the stopping rule: enough for a stable 95% interval, cheap at any sample size. */
const STOP_RULE_RESAMPLES = 1000;

/**
 * Timed runs (the caller's session has profiling off), each timed alone; the optional cooldown
 * between runs is not timed. Stops per the protocol: minimum count and duration, then the
 * confidence rule if on, always at the cap.
 */
export async function timedRuns(runOnce: RunOnce, p: TimedProtocol, ctx: LoopContext): Promise<TimedOutcome> {
  const cap = timedMaxRuns(p);
  const minNs = p.timedMinSeconds * 1e9;
  const latenciesNs: number[] = [];
  let totalNs = 0;
  let ciRelativeHalfWidth: number | null = null;
  let nextCheck = 0;
  for (;;) {
    await yieldBetweenRuns();
    ctx.signal.throwIfAborted();
    if (latenciesNs.length > 0 && p.cooldownMs > 0) await ctx.clock.sleep(p.cooldownMs, ctx.signal);
    const t0 = ctx.clock.nowNs();
    await runOnce();
    const ns = Number(ctx.clock.nowNs() - t0);
    latenciesNs.push(ns);
    totalNs += ns;
    const n = latenciesNs.length;
    ctx.onProgress?.(n, Math.max(p.timedRuns, n));
    const atCap = n >= cap;
    const done = (stopReason: StopReason): TimedOutcome => ({ latenciesNs, stopReason, timedSeconds: totalNs / 1e9, ciRelativeHalfWidth });
    if (n >= p.timedRuns && totalNs >= minNs) {
      if (p.targetCiFraction <= 0) return done('minimum');
      if (n >= nextCheck || atCap) {
        // checks at geometrically spaced counts: a few dozen up to any cap
        nextCheck = n + Math.max(1, Math.floor(n / 20));
        ciRelativeHalfWidth = relativeCiHalfWidth(median(latenciesNs), bootstrapMedianCi(latenciesNs, { resamples: STOP_RULE_RESAMPLES }));
        if (ciRelativeHalfWidth <= p.targetCiFraction) return done('ci');
      }
    }
    if (atCap) return done('max-runs');
  }
}

/** Profiled runs: the same loop without stopping rules; latencies are wall times including the profiler's overhead. */
export async function fixedRuns(runOnce: RunOnce, runs: number, cooldownMs: number, ctx: LoopContext): Promise<number[]> {
  const latenciesNs: number[] = [];
  for (let i = 0; i < runs; i++) {
    await yieldBetweenRuns();
    ctx.signal.throwIfAborted();
    if (i > 0 && cooldownMs > 0) await ctx.clock.sleep(cooldownMs, ctx.signal);
    const t0 = ctx.clock.nowNs();
    await runOnce();
    latenciesNs.push(Number(ctx.clock.nowNs() - t0));
    ctx.onProgress?.(i + 1, runs);
  }
  return latenciesNs;
}

/** A uniformly random order of 0..n−1 (Fisher–Yates on crypto randomness). */
export function randomOrder(n: number, random: (max: number) => number = randomInt): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = random(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/**
 * Timed runs of several variants at once (their sessions all open, profiling off), in blocks of
 * `blockRuns` runs that alternate between the variants, in a fresh random order every cycle: each
 * variant's runs are spread over the same stretch of time, so a change in the host's speed reaches
 * all of them alike and cancels in their ratios. Each block starts with one untimed run: the first
 * run after a switch finds the caches holding the other model's weights and takes 25–30% longer
 * (MobileNetV3-Large here), which would turn a tenth of the samples into switch costs instead of
 * the model's steady latency. Cycles continue until every variant has its minimum count and
 * duration (`timedRuns`, `timedMinSeconds`), or one reaches the cap. The confidence rule
 * (`targetCiFraction`) does not apply: a round's precision comes from its replicates.
 */
export async function interleavedTimedRuns(
  runs: readonly RunOnce[],
  p: TimedProtocol,
  blockRuns: number,
  ctx: LoopContext & { order?: (n: number) => number[] },
): Promise<TimedOutcome[]> {
  if (!(Number.isInteger(blockRuns) && blockRuns >= 1)) throw new RangeError(`interleaved runs: block of ${blockRuns} runs`);
  const cap = timedMaxRuns(p);
  const minNs = p.timedMinSeconds * 1e9;
  const order = ctx.order ?? randomOrder;
  const latencies = runs.map(() => [] as number[]);
  const totals = runs.map(() => 0);
  const satisfied = () => latencies.every((l, i) => l.length >= p.timedRuns && totals[i]! >= minNs);
  const atCap = () => latencies.some((l) => l.length >= cap);
  let first = true;
  while (!satisfied() && !atCap()) {
    for (const i of order(runs.length)) {
      // at a block's start only: a block's runs stay back to back
      await yieldBetweenRuns();
      if (runs.length > 1) {
        ctx.signal.throwIfAborted();
        await runs[i]!();
      }
      for (let k = 0; k < blockRuns && latencies[i]!.length < cap; k++) {
        ctx.signal.throwIfAborted();
        if (!first && p.cooldownMs > 0) await ctx.clock.sleep(p.cooldownMs, ctx.signal);
        first = false;
        const t0 = ctx.clock.nowNs();
        await runs[i]!();
        const ns = Number(ctx.clock.nowNs() - t0);
        latencies[i]!.push(ns);
        totals[i]! += ns;
        // the block that reaches the minimum count ends there: exactly `timedRuns` where no duration rule asks for more
        if (latencies[i]!.length === p.timedRuns && totals[i]! >= minNs) break;
      }
    }
    const done = Math.min(...latencies.map((l) => l.length));
    ctx.onProgress?.(done, Math.max(p.timedRuns, done));
  }
  const stopReason: StopReason = satisfied() ? 'minimum' : 'max-runs';
  return latencies.map((l, i) => ({ latenciesNs: l, stopReason, timedSeconds: totals[i]! / 1e9, ciRelativeHalfWidth: null }));
}
