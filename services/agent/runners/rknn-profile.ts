import type { NodeTiming } from '../../lib/measure/index.js';
import { RunnerError } from './runner.error.js';

const TOOL = 'RKNN perf detail';

/** One layer of an RKNN per-layer performance table. */
export interface RknnLayerRow {
  id: number;
  opType: string;
  dataType: string;
  /** Where the layer ran: NPU, CPU or GPU. */
  target: string;
  inputShape: string;
  outputShape: string;
  timeUs: number;
  /** `<source op type>:<source node name>`, e.g. `Conv:/model.0/conv/Conv`. */
  fullName: string;
}

/** One printed table: the layers of one inference and the total the tool printed under it. */
export interface RknnPerfTable {
  rows: RknnLayerRow[];
  /** `Total Operator Elapsed [Per Frame] Time(us)`, when printed. */
  totalUs?: number;
}

// Multi-word column titles in the toolkit2 eval_perf header ("DDR Cycles", "Task Number", ...).
const TITLE_CONTINUATIONS = new Set(['Cycles', 'Number', 'Size', 'Type', 'Shape', 'Name']);
// Columns whose values contain spaces ("100.0%/0.0%/0.0% - Up:0.0%") or may be blank (MacUsage on
// some CPU layers): values are located by index from the start up to Time(us), and FullName is last.
const REQUIRED = ['ID', 'OpType', 'DataType', 'Target', 'InputShape', 'OutputShape', 'Time(us)'] as const;
const TOTAL = /^Total Operator Elapsed(?: Per Frame)? Time\(us\):\s*([\d.]+)/;

function headerColumns(line: string): string[] {
  const cols: string[] = [];
  for (const word of line.trim().split(/\s+/)) {
    if (TITLE_CONTINUATIONS.has(word) && cols.length) cols[cols.length - 1] += ` ${word}`;
    else cols.push(word);
  }
  return cols.map((c) => c.replace(/^(Op|Data|Input|Output|Full) (Type|Shape|Name)$/, '$1$2'));
}

const isHeader = (line: string) => /^\s*ID\s/.test(line) && /Op\s?Type/.test(line) && line.includes('Time(us)') && /Full\s?Name/.test(line);

/**
 * Parses the per-layer tables RKNN prints: the runtime's "Network Layer Information Table"
 * (rknn_query RKNN_QUERY_PERF_DETAIL / rknn_run with perf debug; columns `Cycles(DDR/NPU/Total)`) and
 * RKNN-Toolkit2's `eval_perf()` "Performance" table (columns `DDR Cycles`, `NPU Cycles`, ...).
 * Several tables in one text are several inferences, in order.
 */
export function parseRknnPerfDetail(text: string): RknnPerfTable[] {
  const lines = text.split(/\r?\n/);
  const tables: RknnPerfTable[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!isHeader(lines[i]!)) continue;
    const cols = headerColumns(lines[i]!);
    const at = Object.fromEntries(REQUIRED.map((c) => [c, cols.indexOf(c)])) as Record<(typeof REQUIRED)[number], number>;
    const missing = REQUIRED.filter((c) => at[c] < 0);
    if (missing.length) throw RunnerError.unparsable(TOOL, `header line ${i + 1} lacks ${missing.join(', ')}`);
    if (cols[cols.length - 1] !== 'FullName') throw RunnerError.unparsable(TOOL, `header line ${i + 1}: expected FullName as the last column`);
    const table: RknnPerfTable = { rows: [] };
    for (i++; i < lines.length; i++) {
      const line = lines[i]!.trim();
      if (/^-+$/.test(line) || line === '') {
        if (table.rows.length) break;
        continue;
      }
      if (!/^\d+\s/.test(line)) break;
      const cells = line.split(/\s+/);
      if (cells.length < at['Time(us)'] + 2) throw RunnerError.unparsable(TOOL, `line ${i + 1} has too few columns: ${JSON.stringify(line)}`);
      const timeUs = Number(cells[at['Time(us)']]);
      if (!Number.isFinite(timeUs) || timeUs < 0) throw RunnerError.unparsable(TOOL, `line ${i + 1}: Time(us) ${JSON.stringify(cells[at['Time(us)']])} is not a time`);
      table.rows.push({
        id: Number(cells[at.ID]),
        opType: cells[at.OpType]!,
        dataType: cells[at.DataType]!,
        target: cells[at.Target]!,
        inputShape: cells[at.InputShape]!,
        outputShape: cells[at.OutputShape]!,
        timeUs,
        fullName: cells[cells.length - 1]!,
      });
    }
    for (; i < lines.length && !isHeader(lines[i]!); i++) {
      const total = TOTAL.exec(lines[i]!.trim());
      if (total) {
        table.totalUs = Number(total[1]);
        break;
      }
    }
    i--;
    if (!table.rows.length) throw RunnerError.unparsable(TOOL, 'a layer table has a header and no rows');
    tables.push(table);
  }
  if (!tables.length) throw RunnerError.unparsable(TOOL, 'no per-layer table (header with ID, OpType, ..., Time(us), ..., FullName)');
  return tables;
}

/** `Conv:/model.0/conv/Conv` → `/model.0/conv/Conv`: the source graph's node name, for layer attribution. */
export function rknnNodeName(fullName: string): string {
  const colon = fullName.indexOf(':');
  return colon >= 0 ? fullName.slice(colon + 1) : fullName;
}

/** Table k is profiled inference k; the provider is the unit the layer ran on (NPU/CPU/GPU). */
export function rknnNodeTimings(tables: readonly RknnPerfTable[]): NodeTiming[] {
  return tables.flatMap((t, iteration) =>
    t.rows.map((r) => ({ iteration, nodeName: rknnNodeName(r.fullName), opType: r.opType, provider: r.target, durationNs: Math.round(r.timeUs * 1000) })),
  );
}

/** End-to-end time of each profiled inference: the printed total, else the sum of its layers. */
export function rknnRunDurationsNs(tables: readonly RknnPerfTable[]): number[] {
  return tables.map((t) => Math.round((t.totalUs ?? t.rows.reduce((s, r) => s + r.timeUs, 0)) * 1000));
}
