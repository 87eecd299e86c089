import { describe, expect, it } from 'vitest';
import { LatfleetError } from '../lib/errors/index.js';
import type { AccuracyRepository } from './accuracy.repository.js';
import type { ComparisonRepository, LatencyCell, StudyVariant } from './comparison.repository.js';
import { ComparisonService } from './comparison.service.js';
import type { DeviceRepository } from './device.repository.js';
import type { StudyRepository } from './study.repository.js';

const variant = (label: string, position: number, isBaseline = false): StudyVariant => ({
  id: `v-${label}`, label, isBaseline, position, modelName: `model-${label}`, sha256: label.padEnd(64, '0'), madds: 100 + position, params: 10,
});
const spread = (center: number, n = 41) => Array.from({ length: n }, (_, i) => center * (1 + 0.01 * (((i * 17) % n) / n - 0.5))).sort((a, b) => a - b);
const cell = (label: string, device: string, center: number): LatencyCell => ({
  variantId: `v-${label}`, deviceId: `d-${device}`, deviceName: device, deviceClass: 'cpu', samplesNs: spread(center), runIds: [`r-${label}-${device}`],
});

function sut(cells: LatencyCell[], opts: { study?: boolean } = {}) {
  const asked: Array<readonly string[] | undefined> = [];
  const studies = { header: async (id: string) => (opts.study === false ? null : { id, name: 's', status: 'completed', baselineLabel: 'base' }) };
  const comparisons = {
    variants: async () => [variant('fast', 0), variant('base', 1, true), variant('same', 2), variant('never-ran', 3)],
    cells: async (_: string, deviceIds?: readonly string[]) => (asked.push(deviceIds), cells.filter((c) => !deviceIds || deviceIds.includes(c.deviceId))),
  };
  const devices = { resolve: async (refs: readonly string[]) => refs.map((r) => ({ id: `d-${r}`, name: r, deviceClass: 'cpu' })) };
  const accuracies = { forVariants: async () => new Map([['v-base', { top1: 75.2, source: 'paper', scope: 'model' as const }]]) };
  const service = new ComparisonService(
    studies as unknown as StudyRepository,
    comparisons as unknown as ComparisonRepository,
    devices as unknown as DeviceRepository,
    accuracies as unknown as AccuracyRepository,
  );
  return { service, asked };
}

describe(ComparisonService.name, () => {
  const cells = [cell('fast', 'a', 9e6), cell('base', 'a', 10e6), cell('same', 'a', 10e6), cell('fast', 'b', 20e6), cell('same', 'b', 21e6)];

  it('compares each variant with the baseline on its own device', async () => {
    const { service } = sut(cells);
    const c = await service.compare('s1');
    const row = (label: string, device: string) => c.rows.find((r) => r.variant === label && r.device === device)!;

    expect(row('fast', 'a')).toMatchObject({ verdict: 'faster', significant: true, deltaPct: -10 });
    expect(row('same', 'a')).toMatchObject({ verdict: 'within noise', significant: false, deltaMs: 0 });
    expect(row('base', 'a')).toMatchObject({ baseline: true, deltaMs: 0, verdict: null, top1: 75.2, top1Source: 'paper' });
  });

  it('leaves deltas empty on a device where the baseline has no result yet, rather than guessing', async () => {
    const { service } = sut(cells);
    const c = await service.compare('s1');
    expect(c.rows.filter((r) => r.device === 'b').map((r) => [r.variant, r.deltaMs, r.verdict])).toEqual([
      ['fast', null, null],
      ['same', null, null],
    ]);
  });

  it('lists every variant of the study, measured or not, and the devices in name order', async () => {
    const { service } = sut(cells);
    const c = await service.compare('s1');
    expect(c.variants.map((v) => v.label)).toEqual(['fast', 'base', 'same', 'never-ran']);
    expect(c.devices.map((d) => d.name)).toEqual(['a', 'b']);
  });

  it('asks only for the devices named', async () => {
    const { service, asked } = sut(cells);
    const c = await service.compare('s1', ['b']);
    expect(asked).toEqual([['d-b']]);
    expect(c.devices.map((d) => d.name)).toEqual(['b']);
  });

  it('is a not-found error for an unknown study', async () => {
    const { service } = sut(cells, { study: false });
    await expect(service.compare('nope')).rejects.toBeInstanceOf(LatfleetError);
    await expect(service.compare('nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
