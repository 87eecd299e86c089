import { Option, type Command } from 'commander';
import { UUID_PATTERN } from '../lib/errors/index.js';
import { ApiError, type ApiClient } from './api.client.js';
import { renderAblationTable, renderComparison, type Format } from './render.js';

/** What `up` and `study run` print at the end: the comparison, its JSON, or the ablation table's CSV, which `compare -f csv` writes too. */
export async function renderStudyResult(client: ApiClient, id: string, format: Format): Promise<string> {
  return format === 'csv' ? client.ablationTableCsv(id, [], { includeFlagged: false }) : renderComparison(await client.comparison(id), format);
}

/** A study id, or a name: the newest study of that name. */
export async function resolveStudy(client: ApiClient, ref: string): Promise<string> {
  if (UUID_PATTERN.test(ref)) return ref;
  const { items } = await client.studies(1, 0, { name: ref });
  if (!items[0]) throw new ApiError(404, `no study named ${JSON.stringify(ref)} (give a study id or an existing name: latfleet study list)`);
  return items[0].id;
}

/** `latfleet compare <study> [--device …] [--include-flagged] [--format table|csv|json]`: the study as a paper's ablation table. */
export function registerCompareCommand(program: Command, api: (opts: { url?: string }) => ApiClient): void {
  program
    .command('compare <study>')
    .description(
      "the study as a paper's ablation table: per device the median latency of the runs with its 95% CI, the Δ vs the baseline " +
        'from rounds paired on the device (* beyond the noise, ~ within it, ? undecided) with its resolution (±MDE), the runs used ' +
        'and the flagged ones left out; MAdds, params and top-1; <study> is an id or a name (the newest of that name)',
    )
    .option('--url <url>', 'query service URL')
    .option('-d, --device <name...>', 'only these devices (names or ids; repeat or comma-separate)')
    .option('--include-flagged', 'keep runs flagged as throttled or busy in the figures and verdicts (left out by default)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json', 'csv']).default('table'))
    .action(async (ref: string, opts: { url?: string; device?: string[]; includeFlagged?: boolean; format: 'table' | 'json' | 'csv' }) => {
      const client = api(opts);
      const id = await resolveStudy(client, ref);
      const devices = (opts.device ?? []).flatMap((d) => d.split(',')).filter(Boolean);
      const options = { includeFlagged: opts.includeFlagged ?? false };
      if (opts.format === 'csv') return void process.stdout.write(await client.ablationTableCsv(id, devices, options));
      const answer = await client.ablationTable(id, devices, options);
      process.stdout.write(opts.format === 'json' ? `${JSON.stringify(answer, null, 2)}\n` : renderAblationTable(answer));
    });
}
