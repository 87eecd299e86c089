import { describe, expect, it } from 'vitest';
import { ablationTableCsv, toAblationTable } from './ablation-table.service.js';
import type { Comparison, ComparisonRow } from './comparison.service.js';

const row = (variant: string, device: string, medianMs: number, extra: Partial<ComparisonRow> = {}): ComparisonRow => ({
  variant, variantId: `v-${variant}`, baseline: variant === 'paper', model: `m-${variant}`, device, deviceId: `d-${device}`, medianMs, p90Ms: medianMs * 1.1,
  ciLowMs: medianMs, ciHighMs: medianMs, samples: 100, deltaMs: null, deltaPct: null, deltaCiLowMs: null, deltaCiHighMs: null,
  pValue: null, significant: null, verdict: null, madds: 1, params: 2, top1: null, top1Source: null, runIds: [], ...extra,
});

const comparison: Comparison = {
  studyId: 's', study: 'demo', status: 'completed', baseline: 'paper', confidenceLevel: 0.95, noiseTest: 'x',
  devices: [{ id: 'd-pixel', name: 'pixel', deviceClass: 'phone' }, { id: 'd-vm,cpu', name: 'vm,cpu', deviceClass: 'cpu' }],
  variants: [
    { id: 'v-paper', label: 'paper', baseline: true, model: 'm-paper', madds: 216_600_000, params: 5_500_000, top1: 75.2, top1Source: 'paper' },
    { id: 'v-relu', label: 'relu', baseline: false, model: 'm-relu', madds: 216_600_000, params: 5_500_000, top1: null, top1Source: null },
  ],
  rows: [row('paper', 'vm,cpu', 3.78, { deltaMs: 0, deltaPct: 0, ciLowMs: 3.7, ciHighMs: 3.9 }), row('relu', 'vm,cpu', 3.34, { deltaMs: -0.44, deltaPct: -11.6, verdict: 'faster' }), row('paper', 'pixel', 20)],
};

describe(toAblationTable.name, () => {
  it('makes one row per variant with one cell per device, empty where nothing was measured', () => {
    const sut = toAblationTable(comparison);
    expect(sut.rows.map((r) => [r.variant, r.latency.map((c) => c?.medianMs ?? null)])).toEqual([
      ['paper', [20, 3.78]],
      ['relu', [null, 3.34]],
    ]);
    expect(sut.rows[1]!.latency[1]).toMatchObject({ deltaPct: -11.6, verdict: 'faster' });
  });
});

describe(ablationTableCsv.name, () => {
  it('names each device’s columns and quotes names that need it', () => {
    const [header, paper, relu] = ablationTableCsv(toAblationTable(comparison)).split('\r\n');
    expect(header).toContain('median_ms[pixel],ci_low_ms[pixel]');
    expect(header).toContain('"median_ms[vm,cpu]"');
    expect(paper).toBe('paper,true,m-paper,216600000,5500000,75.2,20,20,20,,,,100,3.78,3.7,3.9,0,0,,100');
    expect(relu).toBe('relu,false,m-relu,216600000,5500000,,,,,,,,,3.34,3.34,3.34,-0.44,-11.6,faster,100');
  });
});
