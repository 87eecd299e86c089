import { describe, expect, it } from 'vitest';
import type { LatfleetConfig } from '../lib/config/index.js';
import type { ModelRepository } from './model.repository.js';
import { ModelBuilder } from '../lib/models/model-builder.js';
import { ModelService } from './model.service.js';
import type { RunRepository, RunSamples } from './run.repository.js';

let minute = 0;
/** A run of 200 iterations spread ±0.5% around `medianMs` on one device. */
const run = (device: string, medianMs: number, flags?: string[]): RunSamples => ({
  id: `r${minute}`,
  deviceId: `d-${device}`,
  deviceName: device,
  deviceClass: 'cpu',
  model: 'm',
  sha256: 's',
  runtimeVersion: '1.30.0',
  agentVersion: '0.1.0',
  createdAt: new Date(Date.UTC(2026, 0, 1, 0, minute++)),
  round: null,
  flagged: flags !== undefined,
  flags: flags ?? [],
  sortedNs: Array.from({ length: 201 }, (_, k) => medianMs * 1e6 * (1 + 0.005 * (k / 100 - 1))),
});

function setup(runs: RunSamples[]) {
  const models = { findByRef: async () => [{ sha256: 's', name: 'mobilenetv3-small-0.75', madds: 1, params: 2 }] } as unknown as ModelRepository;
  return new ModelService({ maxModelBytes: 2 ** 20 } as LatfleetConfig, models, { samples: async () => runs } as unknown as RunRepository, new ModelBuilder());
}

describe(ModelService.name, () => {
  it('takes each run as a replicate: runs at 4.07, 4.41 and 4.59 ms give 4.41 ms with an interval spanning them, not a pooled sliver', async () => {
    const sut = await setup([run('vm-a', 4.07), run('vm-a', 4.41), run('vm-a', 4.59)]).acrossDevices('m', { optimization: 'all' });
    const vmA = sut.devices[0]!;

    expect(vmA).toMatchObject({ medianMs: 4.41, replicates: 3, runs: 3, samples: 603, relativeToFastest: 1 });
    expect(vmA.ciLowMs!).toBeLessThan(4.1);
    expect(vmA.ciHighMs!).toBeGreaterThan(4.55);
    expect(sut.note).toMatch(/each run .* is a replicate/);
  });

  it('leaves flagged runs out, counting them, and puts a device with no clean run last', async () => {
    const sut = await setup([run('vm-b', 8), run('vm-a', 4), run('vm-a', 9, ['busy-system']), run('phone', 2, ['host-slow'])]).acrossDevices('m', { optimization: 'all' });

    expect(sut.devices.map((d) => [d.device.name, d.medianMs, d.relativeToFastest, d.replicates, d.flaggedReplicates, d.flags])).toEqual([
      ['vm-a', 4, 1, 1, 1, ['busy-system']],
      ['vm-b', 8, 2, 1, 0, []],
      ['phone', null, null, 0, 1, ['host-slow']],
    ]);
  });
});
