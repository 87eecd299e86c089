import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AblationTable } from '../query/ablation-table.service.js';
import type { Verdict } from '../query/comparison.service.js';
import type { ApiClient } from './api.client.js';
import { registerCompareCommand, resolveStudy } from './compare.command.js';
import { renderAblationTable } from './render.js';

const ID = '1b4e28ba-2fa1-11d2-883f-0016d3cca427';
const cell = (medianMs: number, deltaPct: number | null, verdict: Verdict | null) => ({
  medianMs, ciLowMs: medianMs - 0.05, ciHighMs: medianMs + 0.05, deltaMs: deltaPct === null ? null : (medianMs * deltaPct) / 100, deltaPct, verdict, samples: 100,
});
const TABLE: AblationTable = {
  studyId: ID, study: 'demo', status: 'completed', baseline: 'paper', confidenceLevel: 0.95, noiseTest: 'bootstrap CI and Mann–Whitney',
  devices: [{ id: 'd1', name: 'vm-cpu', deviceClass: 'cpu' }, { id: 'd2', name: 'pixel', deviceClass: 'phone' }],
  rows: [
    { variant: 'relu', baseline: false, model: 'm', madds: 216_600_000, params: 5_500_000, top1: null, top1Source: null, latency: [cell(3.34, -11.6, 'faster'), null] },
    { variant: 'paper', baseline: true, model: 'm', madds: 216_600_000, params: 5_480_000, top1: 75.2, top1Source: 'x', latency: [cell(3.78, 0, null), cell(20.1, 0, null)] },
    { variant: 'hswish', baseline: false, model: 'm', madds: 216_600_000, params: 5_500_000, top1: null, top1Source: null, latency: [cell(3.8, 0.5, 'within noise'), cell(22.3, 10.9, 'slower')] },
  ],
};

function fakeClient(): ApiClient & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    studies: async (_l: number, _o: number, f: { name?: string }) => (calls.push(`studies ${f.name}`), { items: f.name === 'demo' ? [{ id: ID }] : [], total: 0 }),
    ablationTable: async (id: string, devices: string[]) => (calls.push(`table ${id} ${devices.join('|')}`), TABLE),
    ablationTableCsv: async (id: string, devices: string[]) => (calls.push(`csv ${id} ${devices.join('|')}`), 'variant,baseline\r\n'),
  } as unknown as ApiClient & { calls: string[] };
}

describe(renderAblationTable.name, () => {
  const sut = renderAblationTable(TABLE);

  it('puts each device’s median with its interval and the marked delta in the variant’s row', () => {
    const relu = sut.split('\n').find((l) => l.includes('relu'))!;
    const hswish = sut.split('\n').find((l) => l.includes('hswish'))!;
    expect(relu).toMatch(/relu\s+│\s+216\.6\s+│\s+5\.5\s+│\s+│\s+3\.34 \[3\.29, 3\.39\]\s+│\s+-11\.6% \*\s+│\s+—\s+│/);
    expect(hswish).toMatch(/3\.80 \[3\.75, 3\.85\]\s+│\s+\+0\.5% ~\s+│\s+22\.30 \[22\.25, 22\.35\]\s+│\s+\+10\.9% \*/);
  });

  it('shows the baseline without a delta and explains the marks', () => {
    expect(sut).toMatch(/paper \(baseline\)\s+│\s+216\.6\s+│\s+5\.5\s+│\s+75\.2\s+│\s+3\.78 \[3\.73, 3\.83\]\s+│\s+│/);
    expect(sut).toContain('* beyond the noise, ~ within it (bootstrap CI and Mann–Whitney)');
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
    expect(client.calls).toEqual(['studies demo', `table ${ID} vm-cpu|pixel`]);
    expect(text).toContain('demo (completed)');
  });

  it('passes CSV through as the service renders it, and prints JSON', async () => {
    expect(await run(fakeClient(), ID, '-f', 'csv')).toBe('variant,baseline\r\n');
    out.length = 0;
    expect(JSON.parse(await run(fakeClient(), ID, '--format', 'json'))).toMatchObject({ study: 'demo', rows: [{ variant: 'relu' }, {}, {}] });
  });
});

describe(resolveStudy.name, () => {
  it('takes an id as it is and refuses an unknown name with a hint', async () => {
    const client = fakeClient();
    await expect(resolveStudy(client, ID)).resolves.toBe(ID);
    await expect(resolveStudy(client, 'nope')).rejects.toMatchObject({ status: 404, message: expect.stringContaining('latfleet study list') });
  });
});
