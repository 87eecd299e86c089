import { describe, expect, it } from 'vitest';
import { parseOrtProfile } from './ort-profile.js';

const run = (ts: number, dur: number) => ({ cat: 'Session', name: 'model_run', ts, dur });
const kernel = (name: string, ts: number, dur: number, op = 'Conv') => ({
  cat: 'Node',
  name: `${name}_kernel_time`,
  ts,
  dur,
  args: { op_name: op, provider: 'CPUExecutionProvider' },
});

const profile = JSON.stringify([
  { cat: 'Session', name: 'session_initialization', ts: 0, dur: 50 },
  kernel('early', 10, 1),
  run(100, 20),
  kernel('a', 101, 5),
  { cat: 'Node', name: 'a_fence_before', ts: 101, dur: 0 },
  kernel('b', 107, 10.5, 'Mul'),
  run(200, 30),
  // out of order in the file: the parser orders by time
  kernel('b', 215, 12, 'Mul'),
  kernel('a', 201, 6),
]);

describe(parseOrtProfile.name, () => {
  it('assigns kernels to the run they fall in, in execution order, µs → ns', () => {
    const sut = parseOrtProfile(profile);

    expect(sut.runDurationsNs).toEqual([20_000, 30_000]);
    expect(sut.nodes.map((n) => [n.iteration, n.nodeName, n.opType, n.durationNs])).toEqual([
      [0, 'a', 'Conv', 5000],
      [0, 'b', 'Mul', 10_500],
      [1, 'a', 'Conv', 6000],
      [1, 'b', 'Mul', 12_000],
    ]);
  });

  it('accounts for every µs of a run: session overhead + Σ (kernel + overhead) = model_run', () => {
    const sut = parseOrtProfile(profile);

    // run 0 (100–120): a's fence_before starts at 101; a ends at 106, b runs 107–117.5
    expect(sut.nodes.filter((n) => n.iteration === 0).map((n) => [n.nodeName, n.overheadNs])).toEqual([
      ['a', 0],
      ['b', 1000],
    ]);
    expect(sut.sessionOverheadNs).toEqual([1000 + 2500, 1000 + 3000]);
    sut.runDurationsNs.forEach((run, i) => {
      const nodes = sut.nodes.filter((n) => n.iteration === i);
      expect(sut.sessionOverheadNs[i]! + nodes.reduce((s, n) => s + n.durationNs + n.overheadNs!, 0)).toBe(run);
    });
  });

  it('counts a node’s fences as its overhead, up to its last event', () => {
    const sut = parseOrtProfile(
      JSON.stringify([
        run(0, 40),
        { cat: 'Node', name: 'a_fence_before', ts: 2, dur: 1 },
        kernel('a', 3, 10),
        { cat: 'Node', name: 'a_fence_after', ts: 13, dur: 2 },
        { cat: 'Node', name: 'b_fence_before', ts: 16, dur: 1 },
        kernel('b', 18, 10),
        { cat: 'Node', name: 'b_fence_after', ts: 28, dur: 1 },
      ]),
    );

    expect(sut.nodes.map((n) => [n.nodeName, n.durationNs, n.overheadNs])).toEqual([
      ['a', 10_000, 3000],
      ['b', 10_000, 4000],
    ]);
    expect(sut.sessionOverheadNs).toEqual([2000 + 11_000]);
  });

  it('counts a run without kernels as session overhead', () => {
    expect(parseOrtProfile(JSON.stringify([run(0, 7)])).sessionOverheadNs).toEqual([7000]);
  });

  it('drops leading runs and renumbers the rest', () => {
    const sut = parseOrtProfile(profile, { skipRuns: 1 });

    expect(sut.runDurationsNs).toEqual([30_000]);
    expect(sut.sessionOverheadNs).toEqual([4000]);
    expect(sut.nodes.map((n) => [n.iteration, n.nodeName])).toEqual([
      [0, 'a'],
      [0, 'b'],
    ]);
  });

  it('refuses what is not a trace', () => {
    expect(() => parseOrtProfile('{')).toThrow(/not valid JSON/);
    expect(() => parseOrtProfile('{}')).toThrow(/JSON array/);
  });
});
