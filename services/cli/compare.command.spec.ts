import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type AblationCell, type AblationTable, type Comparison, NO_DELTA, type Verdict } from '../query/contract.js';
import type { ApiClient, TableOptions } from './api.client.js';
import { registerCompareCommand, renderStudyResult, resolveStudy } from './compare.command.js';
import { renderAblationTable, renderComparison } from './render.js';
import { comparisonHeader } from '../../test/support/comparison-header.factory.js';

const ID = '1b4e28ba-2fa1-11d2-883f-0016d3cca427';
const cell = (medianMs: number | null, deltaPct: number | null, verdict: Verdict | null, extra: Partial<AblationCell> = {}): AblationCell => ({
  medianMs,
  ciLowMs: medianMs && medianMs - 0.05,
  ciHighMs: medianMs && medianMs + 0.05,
  deltaMs: deltaPct === null || medianMs === null ? null : (medianMs * deltaPct) / 100,
  deltaPct,
  deltaCiLowPct: null,
  deltaCiHighPct: null,
  mdePct: verdict === 'within noise' || verdict === 'faster' || verdict === 'slower' ? 0.8 : null,
  verdict,
  verdictReason: null,
  replicates: 3,
  rounds: verdict === null ? null : 3,
  flaggedReplicates: 0,
  flags: [],
  samples: 300,
  ...extra,
});
const TABLE: AblationTable = {
  studyId: ID,
  study: 'demo',
  status: 'completed',
  baseline: 'paper',
  confidenceLevel: 0.95,
  noiseTest: 'paired rounds: t interval',
  includeFlagged: false,
  reproducibility: [
    { deviceId: 'd1', device: 'vm-cpu', betweenStudyPct: 0.42, source: 'learned', df: 12, learnedPct: 0.42, relativePct: 1 },
    { deviceId: 'd2', device: 'pixel', betweenStudyPct: 0.3, source: 'floor', df: 0, learnedPct: null, relativePct: 0 },
  ],
  devices: [
    { id: 'd1', name: 'vm-cpu', deviceClass: 'cpu' },
    { id: 'd2', name: 'pixel', deviceClass: 'phone' },
  ],
  rows: [
    { variant: 'relu', baseline: false, model: 'm', madds: 216_600_000, params: 5_500_000, top1: null, top1Source: null, latency: [cell(3.34, -11.6, 'faster'), null] },
    { variant: 'paper', baseline: true, model: 'm', madds: 216_600_000, params: 5_480_000, top1: 75.2, top1Source: 'x', latency: [cell(3.78, 0, null), cell(20.1, 0, null)] },
    {
      variant: 'hswish',
      baseline: false,
      model: 'm',
      madds: 216_600_000,
      params: 5_500_000,
      top1: null,
      top1Source: null,
      latency: [cell(3.8, 0.5, 'within noise', { replicates: 3, flaggedReplicates: 1, flags: ['busy-system'] }), cell(22.3, 10.9, 'slower')],
    },
    {
      variant: 'gelu',
      baseline: false,
      model: 'm',
      madds: 216_600_000,
      params: 5_500_000,
      top1: null,
      top1Source: null,
      latency: [
        cell(4.1, 8.5, 'undecided', { rounds: 2, replicates: 2, verdictReason: '2 paired rounds: a verdict needs at least 3' }),
        cell(null, null, 'undecided', {
          replicates: 0,
          flaggedReplicates: 3,
          flags: ['busy-system', 'host-slow'],
          verdictReason: 'no clean replicate: 3 flagged (busy-system, host-slow)',
        }),
      ],
    },
  ],
};

function fakeClient(): ApiClient & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    studies: async (_l: number, _o: number, f: { name?: string }) => (calls.push(`studies ${f.name}`), { items: f.name === 'demo' ? [{ id: ID }] : [], total: 0 }),
    ablationTable: async (id: string, devices: string[], o: TableOptions) => (calls.push(`table ${id} ${devices.join('|')} ${o.includeFlagged}`), TABLE),
    ablationTableCsv: async (id: string, devices: string[], o: TableOptions) => (calls.push(`csv ${id} ${devices.join('|')} ${o.includeFlagged}`), 'variant,baseline\r\n'),
  } as unknown as ApiClient & { calls: string[] };
}

describe(renderAblationTable.name, () => {
  const sut = renderAblationTable(TABLE);
  const line = (variant: string) => sut.split('\n').find((l) => l.includes(`${variant} `))!;

  it('puts each device’s median with its interval, the marked delta with its resolution, and the runs in the variant’s row', () => {
    expect(line('relu')).toMatch(/relu\s+│\s+216\.6\s+│\s+5\.5\s+│\s+│\s+3\.34 \[3\.29, 3\.39\]\s+│\s+-11\.6% \* ±0\.8%\s+│\s+3\s+│\s+—\s+│\s+│\s+│/);
    expect(line('hswish')).toMatch(/3\.80 \[3\.75, 3\.85\]\s+│\s+\+0\.5% ~ ±0\.8%\s+│\s+3 \+1 flagged\s+│\s+22\.30 \[22\.25, 22\.35\]\s+│\s+\+10\.9% \* ±0\.8%\s+│\s+3\s+│/);
  });

  it('marks undecided deltas, and shows no latency where every run was flagged', () => {
    expect(line('gelu')).toMatch(/4\.10 \[4\.05, 4\.15\]\s+│\s+\+8\.5% \?\s+│\s+2\s+│\s+—\s+│\s+\?\s+│\s+0 \+3 flagged\s+│/);
  });

  it('shows the baseline without a delta and explains the marks, the undecided verdicts and the flagged runs', () => {
    expect(line('paper')).toMatch(/paper \(baseline\)\s+│\s+216\.6\s+│\s+5\.5\s+│\s+75\.2\s+│\s+3\.78 \[3\.73, 3\.83\]\s+│\s+│\s+3\s+│/);
    expect(sut).toContain('* beyond the noise, ~ within it, ? undecided; ±MDE: the smallest difference the rounds resolve');
    expect(sut).toContain('verdict: paired rounds: t interval\n');
    expect(sut).toContain(
      "between studies (SD of Δ added to every interval): vm-cpu 0.42% + 1% of the log ratio (learned from 12 repeats of its comparisons in other studies); pixel 0.30% (the protocol's floor; no comparison repeated yet)\n",
    );
    expect(sut).toContain('undecided:\n  gelu on vm-cpu: 2 paired rounds: a verdict needs at least 3\n  gelu on pixel: no clean replicate: 3 flagged (busy-system, host-slow)\n');
    expect(sut).toContain('flagged runs (throttled or busy; left out):\n  hswish on vm-cpu: 1 (busy-system)\n  gelu on pixel: 3 (busy-system, host-slow)\n');
  });
});

describe(renderComparison.name, () => {
  const row = {
    variantId: 'v',
    model: 'm',
    deviceId: 'd',
    p90Ms: 4.1,
    samples: 180,
    flaggedReplicates: 0,
    flags: [],
    ...NO_DELTA,
    madds: 1,
    params: 1,
    top1: null,
    top1Source: null,
    runIds: [],
    flaggedRunIds: [],
    resources: null,
  };
  const c: Comparison = {
    ...comparisonHeader({ studyId: ID }),
    devices: [],
    variants: [],
    reproducibility: [],
    rows: [
      { ...row, variant: 'paper', baseline: true, device: 'vm-a', medianMs: 4, ciLowMs: 3.88, ciHighMs: 4.2, replicates: 4, deltaMs: 0, deltaPct: 0 },
      {
        ...row,
        variant: 'relu',
        baseline: false,
        device: 'vm-a',
        medianMs: 3.6,
        ciLowMs: 3.49,
        ciHighMs: 3.78,
        replicates: 4,
        deltaMs: -0.4,
        deltaPct: -10,
        verdict: 'faster',
        mdePct: 0.12,
      },
      {
        ...row,
        variant: 'hswish',
        baseline: false,
        device: 'vm-a',
        medianMs: 4.01,
        ciLowMs: 3.9,
        ciHighMs: 4.2,
        replicates: 2,
        flaggedReplicates: 1,
        flags: ['busy-system'],
        deltaPct: 0.3,
        verdict: 'undecided',
        verdictReason: '2 paired rounds: a verdict needs at least 3',
      },
    ],
  };
  const sut = renderComparison(c, 'table');

  it('shows each verdict with its resolution, the runs and the flagged ones', () => {
    expect(sut).toMatch(/relu\s+│ vm-a\s+│\s+3\.60 \[3\.49, 3\.78\]\s+│\s+4\.10\s+│\s+-0\.40\s+│\s+-10\.0%\s+│ faster ±0\.1%\s+│\s+4\s+│/);
    expect(sut).toMatch(/hswish\s+│ vm-a\s+│\s+4\.01 \[3\.90, 4\.20\]\s+│\s+4\.10\s+│\s+—\s+│\s+\+0\.3%\s+│ undecided\s+│ 2 \+1 flagged\s+│/);
    expect(sut).toContain('undecided:\n  hswish on vm-a: 2 paired rounds: a verdict needs at least 3\n');
    expect(sut).toContain('flagged runs (throttled or busy; left out):\n  hswish on vm-a: 1 (busy-system)\n');
  });
});

describe(registerCompareCommand.name, () => {
  const out: string[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
    out.length = 0;
  });
  const run = async (client: ApiClient, ...args: string[]) => {
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    const program = new Command().exitOverride();
    registerCompareCommand(program, () => client);
    await program.parseAsync(['compare', ...args], { from: 'user' });
    return out.join('');
  };

  it('finds a study by name and asks for the named devices', async () => {
    const client = fakeClient();
    const text = await run(client, 'demo', '--device', 'vm-cpu,pixel');
    expect(client.calls).toEqual(['studies demo', `table ${ID} vm-cpu|pixel false`]);
    expect(text).toContain('demo (completed)');
  });

  it('asks for flagged runs to be kept with --include-flagged', async () => {
    const client = fakeClient();
    await run(client, ID, '--include-flagged', '-f', 'csv');
    expect(client.calls).toEqual([`csv ${ID}  true`]);
  });

  it('passes CSV through as the service renders it, and prints JSON', async () => {
    expect(await run(fakeClient(), ID, '-f', 'csv')).toBe('variant,baseline\r\n');
    out.length = 0;
    expect(JSON.parse(await run(fakeClient(), ID, '--format', 'json'))).toMatchObject({ study: 'demo', rows: [{ variant: 'relu' }, {}, {}, { variant: 'gelu' }] });
  });
});

describe(renderStudyResult.name, () => {
  it('writes the CSV `compare -f csv` writes, for up and study run alike', async () => {
    const client = fakeClient();
    const sut = await renderStudyResult(client, ID, 'csv');

    const program = new Command().exitOverride();
    registerCompareCommand(program, () => client);
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    await program.parseAsync(['compare', ID, '-f', 'csv'], { from: 'user' });
    vi.restoreAllMocks();

    expect(sut).toBe(out.join(''));
    expect(client.calls).toEqual([`csv ${ID}  false`, `csv ${ID}  false`]);
  });
});

describe(resolveStudy.name, () => {
  it('takes an id as it is and refuses an unknown name with a hint', async () => {
    const client = fakeClient();
    await expect(resolveStudy(client, ID)).resolves.toBe(ID);
    await expect(resolveStudy(client, 'nope')).rejects.toMatchObject({ status: 404, message: expect.stringContaining('latfleet study list') });
  });
});
