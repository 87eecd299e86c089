import { Option, type Command } from 'commander';
import type { ApiClient } from './api.client.js';
import { LAYER_GROUPINGS, renderLayers, type Format, type LayerGrouping } from './render.js';

/** `latfleet layers <run-id> [--by layer|block|op] [--format table|csv|json | --json]`: where one run's time went. */
export function registerLayersCommand(program: Command, api: (opts: { url?: string }) => ApiClient): void {
  program
    .command('layers <run-id>')
    .description(
      'per-layer time of one run: kernel, executor overhead and total medians with their share, the (session) bucket, ' +
        'and the layer sum over the profiled, model_run and timed medians (runs stored before executor overhead: kernel time only)',
    )
    .option('--url <url>', 'query service URL')
    .addOption(new Option('--by <grouping>', 'rows: logical layers, blocks or runtime op types').choices(LAYER_GROUPINGS).default('layer'))
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json', 'csv']).default('table'))
    .option('--json', 'the whole answer as JSON (same as --format json)')
    .action(async (id: string, opts: { url?: string; by: LayerGrouping; format: Format; json?: boolean }) => {
      const layers = await api(opts).runLayers(id);
      process.stdout.write(renderLayers(layers, opts.json ? 'json' : opts.format, opts.by));
    });
}
