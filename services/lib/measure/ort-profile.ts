/** One kernel execution from an ONNX Runtime profile. */
export interface NodeTiming {
  iteration: number;
  nodeName: string;
  opType: string;
  provider: string;
  durationNs: number;
  /** builder's logical layer; '' when the node cannot be attributed; absent when not attributed yet */
  layer?: string;
}

export interface ParsedProfile {
  /** End-to-end time of each profiled run (the `model_run` events), in order. */
  runDurationsNs: number[];
  /** Kernel executions, run by run, each run's in execution order. */
  nodes: NodeTiming[];
}

export interface ParseProfileOptions {
  /** leading runs to drop (a profiled session's own warm-up); later runs are renumbered from 0 */
  skipRuns?: number;
}

interface TraceEvent {
  cat?: string;
  name?: string;
  ts?: number;
  dur?: number;
  args?: { op_name?: string; provider?: string };
}

const KERNEL_SUFFIX = '_kernel_time';

/**
 * Turns ONNX Runtime's Chrome-trace profile (a JSON array of events, times in µs) into per-node
 * kernel times per profiled run. Node events are assigned to the `model_run` they fall inside;
 * events before the first run (session initialisation) are dropped.
 */
export function parseOrtProfile(text: string, options: ParseProfileOptions = {}): ParsedProfile {
  let events: TraceEvent[];
  try {
    events = JSON.parse(text) as TraceEvent[];
  } catch (err) {
    throw new Error(`ONNX Runtime profile is not valid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(events)) throw new Error('ONNX Runtime profile: expected a JSON array of trace events');
  const skip = options.skipRuns ?? 0;
  const runs = events
    .filter((e) => e.cat === 'Session' && e.name === 'model_run' && typeof e.ts === 'number')
    .sort((a, b) => a.ts! - b.ts!);
  const kernels = events
    .filter((e) => e.cat === 'Node' && typeof e.ts === 'number' && e.name?.endsWith(KERNEL_SUFFIX))
    .sort((a, b) => a.ts! - b.ts!);
  const nodes: NodeTiming[] = [];
  let run = 0;
  for (const e of kernels) {
    while (run < runs.length && e.ts! > runs[run]!.ts! + (runs[run]!.dur ?? 0)) run++;
    if (run >= runs.length) break;
    if (e.ts! < runs[run]!.ts! || run < skip) continue;
    nodes.push({
      iteration: run - skip,
      nodeName: e.name!.slice(0, -KERNEL_SUFFIX.length),
      opType: e.args?.op_name ?? '',
      provider: e.args?.provider ?? '',
      durationNs: Math.round((e.dur ?? 0) * 1000),
    });
  }
  return { runDurationsNs: runs.slice(skip).map((r) => Math.round((r.dur ?? 0) * 1000)), nodes };
}
