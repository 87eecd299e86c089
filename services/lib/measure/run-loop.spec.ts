import { describe, expect, it } from 'vitest';
import { DEFAULT_PROTOCOL, resolveProtocol, type MeasurementProtocol } from './protocol.js';
import { fixedRuns, interleavedTimedRuns, randomOrder, systemClock, timedRuns, warmUp, YIELD_EVERY_MS, type LoopClock } from './run-loop.js';
import { SeededRandom } from './seeded-random.js';

/** A clock that only moves when a fake run or a sleep moves it. */
class FakeClock implements LoopClock {
  ns = 0n;
  readonly sleeps: number[] = [];
  nowNs(): bigint {
    return this.ns;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.ns += BigInt(Math.round(ms * 1e6));
  }
  /** a run that takes `nextNs()` nanoseconds */
  runner(nextNs: () => number): () => Promise<void> {
    return async () => {
      this.ns += BigInt(Math.round(nextNs()));
    };
  }
}

const protocol = (p: Partial<MeasurementProtocol>): MeasurementProtocol => resolveProtocol({ ...DEFAULT_PROTOCOL, ...p });
const ctx = (clock: FakeClock, progress: Array<[number, number]> = []) => ({
  clock,
  signal: new AbortController().signal,
  onProgress: (d: number, t: number) => progress.push([d, t]),
});

describe(warmUp.name, () => {
  it('runs the count when the count takes longer than the minimum time', async () => {
    const clock = new FakeClock();
    const sut = await warmUp(
      clock.runner(() => 100e6),
      protocol({ warmupRuns: 10, warmupMinSeconds: 0.5 }),
      ctx(clock),
    );

    expect(sut).toEqual({ runs: 10, seconds: 1 });
  });

  it('keeps going until the minimum time has passed', async () => {
    const clock = new FakeClock();
    const sut = await warmUp(
      clock.runner(() => 1e6),
      protocol({ warmupRuns: 10, warmupMinSeconds: 0.5 }),
      ctx(clock),
    );

    expect(sut.runs).toBe(500);
  });

  it('does nothing when asked for nothing', async () => {
    const clock = new FakeClock();
    expect(
      await warmUp(
        clock.runner(() => 1),
        protocol({ warmupRuns: 0, warmupMinSeconds: 0 }),
        ctx(clock),
      ),
    ).toEqual({ runs: 0, seconds: 0 });
  });
});

describe(timedRuns.name, () => {
  it('runs exactly timedRuns with the defaults (the original behaviour)', async () => {
    const clock = new FakeClock();
    const progress: Array<[number, number]> = [];
    const sut = await timedRuns(
      clock.runner(() => 2e6),
      protocol({ timedRuns: 25 }),
      ctx(clock, progress),
    );

    expect(sut).toMatchObject({ stopReason: 'minimum', timedSeconds: 0.05, ciRelativeHalfWidth: null });
    expect(sut.latenciesNs).toEqual(Array(25).fill(2e6));
    expect(progress.at(-1)).toEqual([25, 25]);
  });

  it('extends to the minimum duration, counting only timed time, with the cooldown between runs untimed', async () => {
    const clock = new FakeClock();
    const sut = await timedRuns(
      clock.runner(() => 10e6),
      protocol({ timedRuns: 5, timedMinSeconds: 0.2, cooldownMs: 3 }),
      ctx(clock),
    );

    expect(sut.latenciesNs).toHaveLength(20);
    expect(sut.latenciesNs.every((ns) => ns === 10e6)).toBe(true);
    expect(clock.sleeps).toEqual(Array(19).fill(3));
  });

  it('stops at the cap even when the minimum duration is not reached', async () => {
    const clock = new FakeClock();
    const sut = await timedRuns(
      clock.runner(() => 1e6),
      protocol({ timedRuns: 5, timedMinSeconds: 10, timedMaxRuns: 50 }),
      ctx(clock),
    );

    expect(sut).toMatchObject({ stopReason: 'max-runs' });
    expect(sut.latenciesNs).toHaveLength(50);
  });

  it('stops early once the median’s confidence interval is narrow enough', async () => {
    const clock = new FakeClock();
    const rng = new SeededRandom(9);
    const sut = await timedRuns(
      clock.runner(() => 1e6 * (1 + 0.02 * rng.normal())),
      protocol({ timedRuns: 20, targetCiFraction: 0.005, timedMaxRuns: 100_000 }),
      ctx(clock),
    );

    expect(sut.stopReason).toBe('ci');
    expect(sut.ciRelativeHalfWidth).toBeLessThanOrEqual(0.005);
    // ±2% noise needs a few hundred runs for ±0.5%: well past the minimum, well before the cap
    expect(sut.latenciesNs.length).toBeGreaterThan(100);
    expect(sut.latenciesNs.length).toBeLessThan(5_000);
  });

  it('reports the cap when the interval never narrows enough', async () => {
    const clock = new FakeClock();
    const rng = new SeededRandom(2);
    const sut = await timedRuns(
      clock.runner(() => 1e6 * (1 + 0.5 * rng.uniform())),
      protocol({ timedRuns: 10, targetCiFraction: 0.0001, timedMaxRuns: 200 }),
      ctx(clock),
    );

    expect(sut).toMatchObject({ stopReason: 'max-runs' });
    expect(sut.latenciesNs).toHaveLength(200);
    expect(sut.ciRelativeHalfWidth).toBeGreaterThan(0.0001);
  });

  it('stops when aborted', async () => {
    const clock = new FakeClock();
    const abort = new AbortController();
    let runs = 0;
    const run = async () => {
      if (++runs === 3) abort.abort(new Error('cancelled'));
    };

    await expect(timedRuns(run, protocol({ timedRuns: 10 }), { clock, signal: abort.signal })).rejects.toThrow('cancelled');
    expect(runs).toBe(3);
  });
});

describe(fixedRuns.name, () => {
  it('times each run and pauses between them', async () => {
    const clock = new FakeClock();
    const sut = await fixedRuns(
      clock.runner(() => 5),
      3,
      1,
      ctx(clock),
    );

    expect(sut).toEqual([5, 5, 5]);
    expect(clock.sleeps).toEqual([1, 1]);
  });
});

describe(interleavedTimedRuns.name, () => {
  it('alternates blocks between the variants in each cycle’s order until every variant has its minimum', async () => {
    const clock = new FakeClock();
    const trace: string[] = [];
    const run = (name: string, ns: number) => async () => {
      trace.push(name);
      clock.ns += BigInt(ns);
    };
    const orders = [
      [1, 0],
      [0, 1],
      [1, 0],
    ];
    const sut = await interleavedTimedRuns([run('a', 1e6), run('b', 2e6)], protocol({ timedRuns: 6 }), 2, {
      ...ctx(clock),
      order: () => orders.shift()!,
    });
    // each block opens with one untimed run of its variant (the switch's cold caches)
    expect(trace.join('')).toBe('bbbaaaaaabbbbbbaaa');
    expect(sut.map((o) => o.latenciesNs)).toEqual([Array(6).fill(1e6), Array(6).fill(2e6)]);
    expect(sut.map((o) => o.stopReason)).toEqual(['minimum', 'minimum']);
    expect(sut[1]!.timedSeconds).toBeCloseTo(0.012, 12);
  });

  it('keeps every variant running until the slowest to reach its minimum duration has it', async () => {
    const clock = new FakeClock();
    const fast = clock.runner(() => 1e6);
    const slow = clock.runner(() => 10e6);
    const sut = await interleavedTimedRuns([fast, slow], protocol({ timedRuns: 1, timedMinSeconds: 0.05 }), 5, { ...ctx(clock), order: (n) => [...Array(n).keys()] });
    // the fast variant needs 50 runs (10 cycles), the slow one 5 (1 cycle): both ran 10 cycles
    expect(sut.map((o) => o.latenciesNs.length)).toEqual([50, 50]);
  });

  it('times exactly timedRuns when it is not a multiple of the block', async () => {
    const clock = new FakeClock();
    const sut = await interleavedTimedRuns([clock.runner(() => 1e6), clock.runner(() => 1e6)], protocol({ timedRuns: 25 }), 10, ctx(clock));
    expect(sut.map((o) => o.latenciesNs.length)).toEqual([25, 25]);
  });

  it('stops at the cap', async () => {
    const clock = new FakeClock();
    const sut = await interleavedTimedRuns([clock.runner(() => 1e3), clock.runner(() => 1e3)], protocol({ timedRuns: 10, timedMinSeconds: 100, timedMaxRuns: 12 }), 5, ctx(clock));
    expect(sut.map((o) => [o.latenciesNs.length, o.stopReason])).toEqual([
      [12, 'max-runs'],
      [12, 'max-runs'],
    ]);
  });
});

describe(randomOrder.name, () => {
  it('is a permutation, and every order turns up', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const order = randomOrder(3);
      expect([...order].sort()).toEqual([0, 1, 2]);
      seen.add(order.join(''));
    }
    expect(seen.size).toBe(6);
  });
});

describe('a runtime whose runs never yield (LiteRT: synchronous Wasm behind a promise)', () => {
  /** a run that holds the thread for `ms` and resolves at once: every await of it is a microtask */
  const blocking = (ms: number) => async () => {
    const end = performance.now() + ms;
    while (performance.now() < end);
  };

  it('still lets timers fire between runs, at most a second apart, across a round of short jobs (the agent heartbeats while it measures)', async () => {
    const runMs = 25;
    const jobs = Math.ceil((2.5 * YIELD_EVERY_MS) / (4 * runMs));
    let done = 0;
    const firedAfter: number[] = [];
    const timer = setInterval(() => firedAfter.push(done), 10);
    try {
      const run = blocking(runMs);
      // each job a short loop of its own (2 warm-up and 2 timed runs: 0.1 s), one after another as a round runs them
      for (let j = 0; j < jobs; j++) {
        const context = { clock: systemClock, signal: new AbortController().signal };
        await warmUp(run, { warmupRuns: 2, warmupMinSeconds: 0 }, context);
        await timedRuns(run, protocol({ timedRuns: 2, timedMinSeconds: 0, targetCiFraction: 0 }), context);
        done++;
      }
    } finally {
      clearInterval(timer);
    }
    // without the yield every tick comes after the last job; with it, ticks land inside the round
    expect(firedAfter.filter((d) => d < jobs).length).toBeGreaterThanOrEqual(2);
  });
});
