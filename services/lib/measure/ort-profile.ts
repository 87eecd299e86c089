/** One kernel execution from an ONNX Runtime profile. */
export interface NodeTiming {
  iteration: number;
  nodeName: string;
  opType: string;
  provider: string;
  durationNs: number;
}

export interface ParsedProfile {
  /** End-to-end time of each profiled run (the `model_run` events), in order. */
  runDurationsNs: number[];
  nodes: NodeTiming[];
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
export function parseOrtProfile(text: string): ParsedProfile {
  let events: TraceEvent[];
  try {
    events = JSON.parse(text) as TraceEvent[];
  } catch (err) {
    throw new Error(`ONNX Runtime profile is not valid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(events)) throw new Error('ONNX Runtime profile: expected a JSON array of trace events');
  const runs = events
    .filter((e) => e.cat === 'Session' && e.name === 'model_run' && typeof e.ts === 'number')
    .sort((a, b) => a.ts! - b.ts!);
  const nodes: NodeTiming[] = [];
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name?.endsWith(KERNEL_SUFFIX) || typeof e.ts !== 'number') continue;
    const iteration = runs.findIndex((r) => e.ts! >= r.ts! && e.ts! <= r.ts! + (r.dur ?? 0));
    if (iteration < 0) continue;
    nodes.push({
      iteration,
      nodeName: e.name.slice(0, -KERNEL_SUFFIX.length),
      opType: e.args?.op_name ?? '',
      provider: e.args?.provider ?? '',
      durationNs: Math.round((e.dur ?? 0) * 1000),
    });
  }
  return { runDurationsNs: runs.map((r) => Math.round((r.dur ?? 0) * 1000)), nodes };
}
