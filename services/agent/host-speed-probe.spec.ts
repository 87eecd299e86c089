import { describe, expect, it } from 'vitest';
import type { LoopClock } from '../lib/measure/index.js';
import { HostSpeedProbe, hostProbeModel } from './host-speed-probe.js';

describe(hostProbeModel.name, () => {
  it('is the same model every time', () => {
    expect(Buffer.from(hostProbeModel()).equals(Buffer.from(hostProbeModel()))).toBe(true);
  });
});

describe(HostSpeedProbe.name, () => {
  it('runs the reference workload in ONNX Runtime and gives the fastest of its timed runs', async () => {
    // a clock that advances 1, 2, 3, ... µs per reading: each run's second reading is 2, 4, 6, ... µs after its first
    let step = 0n;
    let now = 0n;
    const clock: LoopClock = { nowNs: () => (now += ++step * 1000n), sleep: async () => undefined };
    const sut = new HostSpeedProbe(clock);

    try {
      expect(await sut.measureNs()).toBe(2000);
    } finally {
      await sut.release();
    }
  });
});
