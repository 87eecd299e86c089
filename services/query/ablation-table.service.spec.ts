import { describe, expect, it } from 'vitest';
import { ablationTableCsv, toAblationTable } from './ablation-table.service.js';
import type { Comparison, ComparisonRow } from './comparison.service.js';
import { NO_DELTA } from './latency-statistics.js';

const row = (variant: string, device: string, medianMs: number | null, extra: Partial<ComparisonRow> = {}): ComparisonRow => ({
  variant,
  variantId: `v-${variant}`,
  baseline: variant === 'paper',
  model: `m-${variant}`,
  device,
  deviceId: `d-${device}`,
  medianMs,
  p90Ms: medianMs && medianMs * 1.1,
  ciLowMs: medianMs,
  ciHighMs: medianMs,
  samples: 300,
  replicates: 3,
  flaggedReplicates: 0,
  flags: [],
  ...NO_DELTA,
  madds: 1,
  params: 2,
  top1: null,
  top1Source: null,
  runIds: [],
  flaggedRunIds: [],
  resources: null,
  ...extra,
});

const comparison: Comparison = {
  studyId: 's',
  study: 'demo',
  status: 'completed',
  baseline: 'paper',
  confidenceLevel: 0.95,
  noiseTest: 'x',
  includeFlagged: false,
  reproducibility: [],
  devices: [
    { id: 'd-pixel', name: 'pixel', deviceClass: 'phone' },
    { id: 'd-vm,cpu', name: 'vm,cpu', deviceClass: 'cpu' },
  ],
  variants: [
    { id: 'v-paper', label: 'paper', baseline: true, model: 'm-paper', madds: 216_600_000, params: 5_500_000, top1: 75.2, top1Source: 'paper' },
    { id: 'v-relu', label: 'relu', baseline: false, model: 'm-relu', madds: 216_600_000, params: 5_500_000, top1: null, top1Source: null },
  ],
  rows: [
    row('paper', 'vm,cpu', 3.78, { deltaMs: 0, deltaPct: 0, ciLowMs: 3.7, ciHighMs: 3.9 }),
    row('relu', 'vm,cpu', 3.34, {
      deltaMs: -0.44,
      deltaPct: -11.6,
      deltaCiLowPct: -12.4,
      deltaCiHighPct: -10.8,
      mdePct: 0.8,
      verdict: 'faster',
      rounds: 3,
      design: 'paired',
      flaggedReplicates: 1,
      flags: ['busy-system', 'host-slow'],
    }),
    row('paper', 'pixel', null, { replicates: 0, samples: 0, flaggedReplicates: 3, flags: ['busy-system'] }),
  ],
};

describe(toAblationTable.name, () => {
  it('makes one row per variant with one cell per device, empty where nothing was measured', () => {
    const sut = toAblationTable(comparison);
    expect(sut.rows.map((r) => [r.variant, r.latency.map((c) => c?.medianMs ?? null)])).toEqual([
      ['paper', [null, 3.78]],
      ['relu', [null, 3.34]],
    ]);
    expect(sut.rows[1]!.latency[0]).toBeNull();
    expect(sut.rows[0]!.latency[0]).toMatchObject({ medianMs: null, replicates: 0, flaggedReplicates: 3, flags: ['busy-system'] });
    expect(sut.rows[1]!.latency[1]).toEqual({
      medianMs: 3.34,
      ciLowMs: 3.34,
      ciHighMs: 3.34,
      deltaMs: -0.44,
      deltaPct: -11.6,
      deltaCiLowPct: -12.4,
      deltaCiHighPct: -10.8,
      mdePct: 0.8,
      verdict: 'faster',
      verdictReason: null,
      replicates: 3,
      rounds: 3,
      flaggedReplicates: 1,
      flags: ['busy-system', 'host-slow'],
      samples: 300,
    });
    expect(sut.includeFlagged).toBe(false);
  });
});

describe(ablationTableCsv.name, () => {
  it('names each device’s columns and quotes names that need it', () => {
    const [header, paper, relu] = ablationTableCsv(toAblationTable(comparison)).split('\r\n');
    expect(header).toContain(
      'median_ms[pixel],ci_low_ms[pixel],ci_high_ms[pixel],delta_ms[pixel],delta_pct[pixel],delta_ci_low_pct[pixel],delta_ci_high_pct[pixel],' +
        'mde_pct[pixel],verdict[pixel],verdict_reason[pixel],replicates[pixel],rounds[pixel],flagged_replicates[pixel],flags[pixel],samples[pixel]',
    );
    expect(header).toContain('"median_ms[vm,cpu]"');
    expect(paper).toBe('paper,true,m-paper,216600000,5500000,75.2,,,,,,,,,,,0,,3,busy-system,0,3.78,3.7,3.9,0,0,,,,,,3,,0,,300');
    expect(relu).toBe('relu,false,m-relu,216600000,5500000,,,,,,,,,,,,,,,,,3.34,3.34,3.34,-0.44,-11.6,-12.4,-10.8,0.8,faster,,3,3,1,busy-system;host-slow,300');
  });
});
