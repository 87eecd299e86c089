/** One kernel execution from an ONNX Runtime profile. */
export interface NodeTiming {
  iteration: number;
  nodeName: string;
  opType: string;
  provider: string;
  durationNs: number;
  /**
   * Executor time spent on this node outside its kernel: from the end of the previous node's last
   * event (the run's first node: from its own first event) to the end of this node's last event,
   * less the kernel. Fences, allocation, input/output bookkeeping, the profiler's own recording and
   * the profile's µs truncation. Absent where the profile does not tell (TFLite, RKNN tables).
   */
  overheadNs?: number;
  /** builder's logical layer; '' when the node cannot be attributed; absent when not attributed yet */
  layer?: string;
}

export interface ParsedProfile {
  /** End-to-end time of each profiled run (the `model_run` events), in order. */
  runDurationsNs: number[];
  /**
   * Per run (same order): the part of `model_run` outside every node, before the first node's first
   * event and after the last node's last event (feeds, executor set-up, fetches). With the nodes'
   * kernel and overhead times it adds up to the run's duration.
   */
  sessionOverheadNs: number[];
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
/** What ONNX Runtime records per node: `<node>_fence_before`, `<node>_kernel_time`, `<node>_fence_after` (fences only in some versions). */
const NODE_EVENT = /^(.*)_(kernel_time|fence_before|fence_after)$/;

const end = (e: TraceEvent) => e.ts! + (e.dur ?? 0);
const ns = (us: number) => Math.round(us * 1000);

/**
 * Turns ONNX Runtime's Chrome-trace profile (a JSON array of events, times in µs) into per-node
 * kernel and overhead times per profiled run. Node events are assigned to the `model_run` they fall
 * inside; events before the first run (session initialisation) are dropped. Every µs of a run is
 * accounted for once: session overhead + Σ (kernel + overhead) = `model_run`.
 */
export function parseOrtProfile(text: string, options: ParseProfileOptions = {}): ParsedProfile {
  let events: TraceEvent[];
  try {
    events = JSON.parse(text) as TraceEvent[];
  } catch (err) {
    throw new Error(`ONNX Runtime profile is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (!Array.isArray(events)) throw new Error('ONNX Runtime profile: expected a JSON array of trace events');
  const skip = options.skipRuns ?? 0;
  const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run' && typeof e.ts === 'number').sort((a, b) => a.ts! - b.ts!);
  const nodeEvents = events.filter((e) => e.cat === 'Node' && typeof e.ts === 'number' && NODE_EVENT.test(e.name ?? '')).sort((a, b) => a.ts! - b.ts!);
  const perRun = runs.map(() => [] as TraceEvent[]);
  let run = 0;
  for (const e of nodeEvents) {
    while (run < runs.length && e.ts! > end(runs[run]!)) run++;
    if (run >= runs.length) break;
    if (e.ts! >= runs[run]!.ts!) perRun[run]!.push(e);
  }
  const nodes: NodeTiming[] = [];
  const sessionOverheadNs: number[] = [];
  for (let r = skip; r < runs.length; r++) {
    const { timings, sessionUs } = runTimings(runs[r]!, perRun[r]!, r - skip);
    nodes.push(...timings);
    sessionOverheadNs.push(ns(sessionUs));
  }
  return { runDurationsNs: runs.slice(skip).map((r) => ns(r.dur ?? 0)), sessionOverheadNs, nodes };
}

/** One run's nodes: each kernel event with the events of the same node around it (its fences). */
function runTimings(run: TraceEvent, events: readonly TraceEvent[], iteration: number): { timings: NodeTiming[]; sessionUs: number } {
  const timings: NodeTiming[] = [];
  const kernels = events.flatMap((e, i) => (e.name!.endsWith(KERNEL_SUFFIX) ? [i] : []));
  if (kernels.length === 0) return { timings, sessionUs: run.dur ?? 0 };
  const first = events[0]!.ts!;
  let previousEnd = first;
  kernels.forEach((k, n) => {
    const kernel = events[k]!;
    const node = kernel.name!.slice(0, -KERNEL_SUFFIX.length);
    // this node's last event: its fence_after, if the runtime records one, before the next kernel
    let nodeEnd = end(kernel);
    for (let i = k + 1; i < (kernels[n + 1] ?? events.length); i++) {
      const e = events[i]!;
      if (NODE_EVENT.exec(e.name!)?.[1] === node) nodeEnd = Math.max(nodeEnd, end(e));
    }
    timings.push({
      iteration,
      nodeName: node,
      opType: kernel.args?.op_name ?? '',
      provider: kernel.args?.provider ?? '',
      durationNs: ns(kernel.dur ?? 0),
      overheadNs: Math.max(0, ns(nodeEnd - previousEnd) - ns(kernel.dur ?? 0)),
    });
    previousEnd = Math.max(previousEnd, nodeEnd);
  });
  const sessionUs = Math.max(0, first - run.ts!) + Math.max(0, end(run) - previousEnd);
  return { timings, sessionUs };
}
