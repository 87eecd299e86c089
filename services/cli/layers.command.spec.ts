import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AttributedGroupRow, LayerRow, RunLayers } from '../query/contract.js';
import type { ApiClient } from './api.client.js';
import { registerLayersCommand } from './layers.command.js';
import { renderLayers } from './render.js';

const ID = '1b4e28ba-2fa1-11d2-883f-0016d3cca427';
const layerRow = (layer: string, op: string | null, kernel: number, share: number, overhead?: [number, number]): LayerRow => ({
  layer,
  block: null,
  role: null,
  op,
  medianMs: kernel,
  share,
  overheadMs: overhead ? overhead[0] : null,
  totalMs: overhead ? kernel + overhead[0] : null,
  totalShare: overhead ? overhead[1] : null,
  madds: null,
  runtimeNodes: [`${layer}_node`],
  runtimeOps: ['Conv'],
});
const group = (key: string, kernelMs: number, overheadMs: number, share: number, totalShare: number, nodes = 1): AttributedGroupRow => ({
  key,
  kernelMs,
  overheadMs,
  totalMs: kernelMs + overheadMs,
  share,
  totalShare,
  nodes,
});

/** A run from an agent that reports executor overhead. */
const CURRENT: RunLayers = {
  runId: ID,
  variant: 'paper',
  device: 'vm-a',
  medianMs: 0.9,
  profiledMedianMs: 1,
  profilingOverheadPct: 11.11,
  layerSumMs: 0.8,
  layerSumRatio: 0.8,
  attributionSource: 'lineage',
  modelRunMedianMs: 0.95,
  layerSumWithOverheadMs: 0.95,
  ratios: {
    kernel: { toProfiledMedian: 0.8, toModelRunMedian: 0.842, toTimedMedian: 0.889 },
    withOverhead: { toProfiledMedian: 0.95, toModelRunMedian: 1, toTimedMedian: 1.056 },
  },
  session: group('(session)', 0, 0.02, 0, 0.0211, 0),
  layers: [
    layerRow('stem', 'conv', 0.3, 0.375, [0.05, 0.3684]),
    layerRow('blocks.0.dw', 'dwconv', 0.45, 0.5625, [0.07, 0.5474]),
    layerRow('(unattributed)', null, 0.05, 0.0625, [0.01, 0.0632]),
  ],
  blocks: [group('stem', 0.3, 0.05, 0.375, 0.3684), group('blocks.0', 0.45, 0.07, 0.5625, 0.5474), group('(unattributed)', 0.05, 0.01, 0.0625, 0.0632)],
  opTypes: [group('Conv', 0.75, 0.12, 0.9375, 0.9158, 2), group('ReorderOutput', 0.05, 0.01, 0.0625, 0.0632)],
};

/** The same run as stored before agents reported executor overhead. */
const KERNEL_ONLY: RunLayers = {
  ...CURRENT,
  attributionSource: null,
  modelRunMedianMs: null,
  layerSumWithOverheadMs: null,
  ratios: {
    kernel: { toProfiledMedian: null, toModelRunMedian: null, toTimedMedian: null },
    withOverhead: { toProfiledMedian: null, toModelRunMedian: null, toTimedMedian: null },
  },
  session: null,
  blocks: null,
  opTypes: null,
  layers: [layerRow('stem', 'conv', 0.3, 0.375), layerRow('blocks.0.dw', 'dwconv', 0.45, 0.5625), layerRow('(unattributed)', null, 0.05, 0.0625)],
};

const lineOf = (text: string, start: string) => text.split('\n').find((l) => l.startsWith(`│ ${start} `) || l.startsWith(start))!;

describe(renderLayers.name, () => {
  it('shows kernel, overhead and total per layer, the session as its own row, and both sets of ratios', () => {
    const sut = renderLayers(CURRENT, 'table');

    expect(sut).toMatch(/│ layer\s+│ op\s+│ kernel ms │ overhead ms │ total ms │ total share │/);
    expect(lineOf(sut, 'stem')).toMatch(/stem\s+│ conv\s+│\s+0\.300 │\s+0\.050 │\s+0\.350 │\s+36\.8% │/);
    expect(lineOf(sut, '(unattributed)')).toMatch(/\(unattributed\)\s+│ Conv\s+│\s+0\.050 │\s+0\.010 │\s+0\.060 │\s+6\.3% │/);
    expect(lineOf(sut, '(session)')).toMatch(/\(session\)\s+│\s+│\s+│\s+0\.020 │\s+0\.020 │\s+2\.1% │/);
    expect(sut.indexOf('│ (session)')).toBeGreaterThan(sut.indexOf('│ (unattributed)'));
    expect(lineOf(sut, 'kernel only')).toMatch(/kernel only\s+0\.800\s+0\.842\s+0\.889/);
    expect(lineOf(sut, 'with overhead')).toMatch(/with overhead\s+0\.950\s+1\.000\s+1\.056/);
    expect(sut).toContain('layers by the optimized graph’s lineage');
  });

  it('shows a run stored before executor overhead with kernel time only', () => {
    const sut = renderLayers(KERNEL_ONLY, 'table');

    expect(sut).toMatch(/│ layer\s+│ op\s+│ kernel ms │ share │/);
    expect(sut).not.toContain('overhead ms');
    expect(sut).not.toContain('(session)');
    expect(lineOf(sut, 'stem')).toMatch(/stem\s+│ conv\s+│\s+0\.300 │\s+37\.5% │/);
    expect(sut).toContain('layer sum / profiled = 0.800; kernel time only');
  });

  it('tabulates the report’s blocks or op types, and says when a run has none', () => {
    expect(lineOf(renderLayers(CURRENT, 'table', 'block'), 'blocks.0')).toMatch(/blocks\.0\s+│\s+0\.450 │\s+0\.070 │\s+0\.520 │\s+54\.7% │/);
    expect(renderLayers(CURRENT, 'table', 'op')).toMatch(/│ op\s+│ kernel ms │/);
    expect(() => renderLayers(KERNEL_ONLY, 'table', 'block')).toThrow(/no per-block table.*--by layer/);
  });

  it('gives CSV of the API’s rows in the one CSV convention, the session last in the same columns', () => {
    const [header, ...rows] = renderLayers(CURRENT, 'csv').trimEnd().split('\r\n');
    expect(header).toBe('layer,block,role,op,median_ms,share,overhead_ms,total_ms,total_share,madds,runtime_nodes,runtime_ops');
    expect(rows.at(-1)).toBe('(session),,,,0,0,0.02,0.02,0.0211,,,');
    expect(renderLayers(KERNEL_ONLY, 'csv').split('\r\n')[1]).toBe('stem,,,conv,0.3,0.375,,,,,stem_node,Conv');
  });

  it('names the share column after the figure it shows, as CSV and JSON name it', () => {
    const withOverhead = renderLayers(CURRENT, 'table');
    const kernelOnly = renderLayers(KERNEL_ONLY, 'table');

    expect(lineOf(withOverhead, 'stem')).toContain(`${(CURRENT.layers[0]!.totalShare! * 100).toFixed(1)}%`);
    expect(withOverhead).toContain('total share: of the summed totals, (session) included (total_share in CSV); share in CSV: of the summed kernel medians alone');
    expect(lineOf(kernelOnly, 'stem')).toContain(`${(KERNEL_ONLY.layers[0]!.share * 100).toFixed(1)}%`);
    expect(kernelOnly).toContain('share: of the summed kernel medians');
  });
});

describe(registerLayersCommand.name, () => {
  const out: string[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
    out.length = 0;
  });
  const run = async (answer: RunLayers, ...args: string[]) => {
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    const asked: string[] = [];
    const client = { runLayers: async (id: string) => (asked.push(id), answer) } as unknown as ApiClient;
    const program = new Command().exitOverride();
    registerLayersCommand(program, () => client);
    await program.parseAsync(['layers', ID, ...args], { from: 'user' });
    return { asked, text: out.join('') };
  };

  it('prints the whole answer with --json', async () => {
    const { asked, text } = await run(CURRENT, '--json');
    expect(asked).toEqual([ID]);
    expect(JSON.parse(text)).toEqual(CURRENT);
  });

  it('prints a table by block', async () => {
    expect((await run(CURRENT, '--by', 'block')).text).toMatch(/│ block\s+│ kernel ms │ overhead ms │ total ms │ total share │/);
  });
});
