import type { NodeTiming } from '../../lib/measure/index.js';
import { RunnerError } from './runner.error.js';

const TOOL = 'benchmark_model';

/** One row of benchmark_model's "Run Order" table (tensorflow/core/util/stats_calculator.cc ColumnString). */
export interface TfliteOperatorRow {
  nodeType: string;
  /** Mean time of one invocation, over all profiled runs, in ms. */
  avgMs: number;
  /** Time of the node's first invocation, in ms. */
  firstMs: number;
  percent: number;
  /** Invocations per run (the tool divides the total by the number of runs). */
  timesCalled: number;
  /** As printed: `[output tensor names]:node_index`, `[names]` in old builds, `Delegate/<op>:<i>` inside a delegate. */
  name: string;
}

const RUN_SECTION = 'Operator-wise Profiling Info for Regular Benchmark Runs';
const RUN_ORDER = /^=+\s*Run Order\s*=+$/;
const SECTION_RULE = /^=+ .* =+$/;
const NUMBER = String.raw`-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?`;

/**
 * The "Run Order" table of the regular (not initialisation) runs, as benchmark_model prints it with
 * `--enable_op_profiling=true`. Columns are read from the header, so both the TF 2.x layout with a
 * `[start]` column and the later one without it parse; rows are tab-separated as printed, or
 * space-aligned when a log was copied through something that expanded the tabs.
 */
export function parseTfliteOpProfile(text: string): TfliteOperatorRow[] {
  const lines = text.split(/\r?\n/);
  const section = lines.findIndex((l) => l.includes(RUN_SECTION));
  // Builds before the initialisation profile existed print the run table with no section title; with
  // an initialisation profile and no run section, the only table is the initialisation one.
  const titleAt = lines.findIndex((l, i) => i > section && RUN_ORDER.test(l.trim()));
  if (titleAt < 0 || (section < 0 && text.includes('Profiling Info for Benchmark Initialization')))
    throw RunnerError.unparsable(TOOL, `no "Run Order" table of the regular runs (was --enable_op_profiling=true passed?)`);
  const header = [...(lines[titleAt + 1] ?? '').matchAll(/\[([^\]]+)\]/g)].map((m) => m[1]!.toLowerCase());
  const col = (name: string) => header.indexOf(name);
  const need = ['node type', 'first', 'avg ms', '%', 'times called', 'name'];
  const missing = need.filter((n) => col(n) < 0);
  if (missing.length) throw RunnerError.unparsable(TOOL, `Run Order header lacks ${missing.map((m) => `[${m}]`).join(', ')}: ${JSON.stringify(lines[titleAt + 1])}`);
  if (col('node type') !== 0 || col('name') !== header.length - 1) throw RunnerError.unparsable(TOOL, 'Run Order header: expected [node type] first and [Name] last');
  const middle = header.length - 2;
  const spaced = new RegExp(`^\\s*(.+?)${`\\s+(${NUMBER}%?)`.repeat(middle)}\\s+(.+?)\\s*$`);

  const rows: TfliteOperatorRow[] = [];
  for (let i = titleAt + 2; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.trim() || SECTION_RULE.test(line.trim())) break;
    const cells = line.includes('\t')
      ? line
          .split('\t')
          .slice(line.startsWith('\t') ? 1 : 0)
          .map((c) => c.trim())
      : spaced.exec(line)?.slice(1);
    if (!cells || cells.length !== header.length) throw RunnerError.unparsable(TOOL, `Run Order line ${i + 1} has not ${header.length} columns: ${JSON.stringify(line)}`);
    const n = (name: string) => Number(cells[col(name)]!.replace(/%$/, ''));
    const row: TfliteOperatorRow = {
      nodeType: cells[0]!,
      firstMs: n('first'),
      avgMs: n('avg ms'),
      percent: n('%'),
      timesCalled: n('times called'),
      name: cells[cells.length - 1]!,
    };
    if (![row.firstMs, row.avgMs, row.percent, row.timesCalled].every(Number.isFinite) || row.avgMs < 0) {
      throw RunnerError.unparsable(TOOL, `Run Order line ${i + 1} has non-numeric timings: ${JSON.stringify(line)}`);
    }
    rows.push(row);
  }
  return rows;
}

/** `[conv1/Relu6]:3` → `conv1/Relu6`; delegate-internal rows keep their whole name (it carries the index). */
export function tfliteNodeName(name: string): string {
  const m = /^\[(.*)\](?::\d+)?$/.exec(name);
  return m ? m[1]! : name;
}

function tfliteProvider(row: TfliteOperatorRow): string {
  if (/Delegate(V\d+)?$/.test(row.nodeType)) return row.nodeType;
  if (row.name.startsWith('Delegate/')) return 'TfLiteDelegate';
  return 'TfLiteCpu';
}

/**
 * Per-node time of one run: benchmark_model reports, per node, the mean of one invocation over all
 * profiled runs and the invocations per run, never the individual runs. So there is one record per node
 * (iteration 0) holding mean × invocations; old builds print 0 invocations for nodes called once.
 */
export function tfliteNodeTimings(rows: readonly TfliteOperatorRow[]): NodeTiming[] {
  return rows.map((row) => ({
    iteration: 0,
    nodeName: tfliteNodeName(row.name),
    opType: row.nodeType,
    provider: tfliteProvider(row),
    durationNs: Math.round(row.avgMs * Math.max(row.timesCalled, 1) * 1e6),
  }));
}
