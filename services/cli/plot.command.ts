import { writeFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { FIGURE_NAMES, GROUPINGS } from '../query/contract.js';
import type { ApiClient } from './api.client.js';
import { resolveStudy } from './compare.command.js';

interface PlotOptions {
  url?: string;
  figure: string;
  output?: string;
  spec?: boolean;
  device?: string[];
  includeFlagged?: boolean;
  run?: string;
  variant?: string;
  baseline?: string;
  by?: string;
  model?: string;
}

/** The query parameters a figure reads, from the command's options (commander leaves the unset ones undefined). */
export function figureParams(o: PlotOptions): Record<string, string> {
  const devices = (o.device ?? []).flatMap((d) => d.split(',')).filter(Boolean);
  const params: Record<string, string | undefined> = {
    device: devices.length ? devices.join(',') : undefined,
    include: o.includeFlagged ? 'flagged' : undefined,
    run: o.run,
    variant: o.variant,
    baseline: o.baseline,
    by: o.by,
    model: o.model,
  };
  return Object.fromEntries(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined));
}

/** `latfleet plot <study> --figure NAME [-o FILE.svg|FILE.vl.json]`: a figure drawn by the query service, or its Vega-Lite spec. */
export function registerPlotCommand(program: Command, api: (opts: { url?: string }) => ApiClient): void {
  program
    .command('plot <study>')
    .description(
      'a figure of a study as SVG, drawn by the query service from the answer the tables come from (or its Vega-Lite spec, to restyle): ' +
        'latency (median, 95% CI), delta (Δ vs the baseline, CI, ±MDE noise band), pareto-accuracy, pareto-madds, layers and blocks ' +
        '(one run, kernel + overhead stacked), layer-delta (per layer/block/op between two variants), history (a device across versions, ' +
        'regressions marked); <study> is an id or a name (the newest of that name)',
    )
    .addOption(new Option('--figure <name>', 'which figure').choices(FIGURE_NAMES).makeOptionMandatory())
    .option('-o, --output <file>', 'write it to this file (a name ending in .json gets the Vega-Lite spec); default: stdout')
    .option('--spec', 'the Vega-Lite spec (JSON) instead of the SVG')
    .option('--url <url>', 'query service URL')
    .option('-d, --device <name...>', 'latency, delta, pareto-*: only these devices; layer-delta, history: the device')
    .option('--include-flagged', 'latency, delta, layer-delta: keep runs flagged as throttled or busy')
    .option('--run <id>', "layers, blocks: the run (default: the baseline's first run)")
    .option('--variant <label>', 'layer-delta: the variant to explain (default: the first that is not the baseline)')
    .option('--baseline <label>', "layer-delta: the variant to compare against (default: the study's baseline)")
    .addOption(new Option('--by <grouping>', 'layer-delta: rows').choices(GROUPINGS))
    .option('--model <name>', "history: model name or sha256 (default: the baseline's model)")
    .action(async (ref: string, opts: PlotOptions) => {
      const client = api(opts);
      const id = await resolveStudy(client, ref);
      const kind = opts.spec || opts.output?.endsWith('.json') ? 'vl.json' : 'svg';
      const text = await client.figure(id, opts.figure, kind, figureParams(opts));
      if (!opts.output) return void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
      writeFileSync(opts.output, text.endsWith('\n') ? text : `${text}\n`);
      process.stderr.write(`${opts.figure} of ${ref} written to ${opts.output}\n`);
    });
}
