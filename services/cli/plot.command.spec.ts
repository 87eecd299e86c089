import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import type { ApiClient } from './api.client.js';
import { registerPlotCommand } from './plot.command.js';

const ID = '1b4e28ba-2fa1-11d2-883f-0016d3cca427';

function fakeClient(): ApiClient & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    studies: async (_l: number, _o: number, f: { name?: string }) => ({ items: f.name === 'demo' ? [{ id: ID }] : [], total: 0 }),
    figure: async (id: string, name: string, kind: string, params: Record<string, string>) => (
      calls.push(`${id} ${name}.${kind} ${new URLSearchParams(params).toString()}`),
      kind === 'svg' ? '<svg class="marks"></svg>' : '{"mark":"point"}'
    ),
  } as unknown as ApiClient & { calls: string[] };
}

describe(registerPlotCommand.name, () => {
  const dir = mkdtempSync(join(tmpdir(), 'latfleet-plot-'));
  const out: string[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
    out.length = 0;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = async (client: ApiClient, ...args: string[]) => {
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const program = new Command().exitOverride();
    registerPlotCommand(program, () => client);
    await program.parseAsync(['plot', ...args], { from: 'user' });
    return out.join('');
  };

  it('writes the SVG the service drew for a study found by name', async () => {
    const client = fakeClient();
    const file = join(dir, 'latency.svg');
    await run(client, 'demo', '--figure', 'latency', '-o', file);
    expect(client.calls).toEqual([`${ID} latency.svg `]);
    expect(readFileSync(file, 'utf8')).toBe('<svg class="marks"></svg>\n');
  });

  it('asks for the Vega-Lite spec when the file is JSON or --spec is given, and prints to stdout without -o', async () => {
    const client = fakeClient();
    await run(client, ID, '--figure', 'delta', '-o', join(dir, 'delta.vl.json'));
    expect(await run(client, ID, '--figure', 'delta', '--spec')).toBe('{"mark":"point"}\n');
    expect(client.calls).toEqual([`${ID} delta.vl.json `, `${ID} delta.vl.json `]);
  });

  it("passes the figure's parameters: devices, flagged runs, the run, the variants, the grouping, the model", async () => {
    const client = fakeClient();
    await run(client, ID, '--figure', 'layer-delta', '-d', 'vm-a,pixel', '--include-flagged', '--variant', 'relu', '--baseline', 'paper', '--by', 'block');
    await run(client, ID, '--figure', 'blocks', '--run', ID);
    await run(client, ID, '--figure', 'history', '--model', 'mobilenetv2-1.0');
    expect(client.calls).toEqual([
      `${ID} layer-delta.svg device=vm-a%2Cpixel&include=flagged&variant=relu&baseline=paper&by=block`,
      `${ID} blocks.svg run=${ID}`,
      `${ID} history.svg model=mobilenetv2-1.0`,
    ]);
  });

  it('refuses a figure that does not exist before asking the service', async () => {
    const client = fakeClient();
    await expect(run(client, ID, '--figure', 'pie')).rejects.toThrow(/Allowed choices are latency, delta/);
    expect(client.calls).toEqual([]);
  });
});
