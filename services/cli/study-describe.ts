import { DEFAULT_PROTOCOL, timedMaxRuns, type MeasurementProtocol } from '../lib/measure/protocol.js';
import { describeVariant, type StudySpec } from '../lib/models/index.js';
import { compactTable } from './render.js';

/**
 * Single-threaded ONNX Runtime time per billion multiply-adds on the 2-core development VM:
 * MobileNetV3-Large 1.0 (216.6M MAdds) has a median of 4.3 ms there (README). A rough rate:
 * depthwise-heavy and SE layers run slower per MAdd, other devices differ by an order of magnitude either way.
 */
export const ESTIMATE_MS_PER_GMADD = 20;
/**
 * Per variant and round besides its runs: the lease, the session (model load, graph optimization),
 * the host-speed probes, the report and its upload. 0.4 s makes the estimate of the demo study its
 * measured 30 s for 7 rounds (README); on a busy host, or for a tiny model, the real figure is larger.
 */
export const ESTIMATE_SESSION_SECONDS = 0.4;
/** Profiled runs take this much longer than timed ones (ONNX Runtime's profiler; docs/what-a-run-records.md). */
export const ESTIMATE_PROFILING_FACTOR = 1.5;

export interface StudyPlanVariant {
  label: string;
  name: string;
  format: string;
  baseline: boolean;
  madds: number;
  params: number;
  /** estimated median latency at ESTIMATE_MS_PER_GMADD */
  estimatedMs: number;
}

/** What a study would run, before it runs: built from its spec alone, no fleet needed. */
export interface StudyPlan {
  name: string;
  description?: string;
  /** every axis combination and list item, before the ones that build the same graph are merged */
  combinations: number;
  variants: StudyPlanVariant[];
  collapsed: Array<{ label: string; sameAs: string }>;
  /** rounds per device: every variant once in each */
  rounds: { min: number; max: number };
  /** true: every round on each matching device; false: once, on any matching device */
  eachDevice: boolean;
  /** jobs (variant x round) per device, or in all when not eachDevice */
  jobs: { min: number; max: number };
  /** estimated device time per device (ESTIMATE_* rates), the budget capping the maximum */
  seconds: { min: number; max: number };
  protocol: MeasurementProtocol;
}

/** Seconds of device time for one variant in one round, as the agent runs the protocol. */
export function roundSecondsOf(latencyMs: number, p: MeasurementProtocol): number {
  const l = latencyMs / 1000;
  const warmup = Math.max(p.warmupRuns * l, p.warmupMinSeconds);
  const timed = Math.min(timedMaxRuns(p), Math.max(p.timedRuns, Math.ceil(p.timedMinSeconds / l))) * l;
  const profiled = p.profiledRuns * l * ESTIMATE_PROFILING_FACTOR;
  const cooldown = ((p.warmupRuns + p.timedRuns + p.profiledRuns) * p.cooldownMs) / 1000;
  return ESTIMATE_SESSION_SECONDS + warmup + timed + profiled + cooldown;
}

export function planStudy(spec: StudySpec): StudyPlan {
  const protocol = spec.protocol ?? DEFAULT_PROTOCOL;
  const variants = spec.variants.map((v): StudyPlanVariant => {
    if (!v.spec) throw new Error(`${v.label}: an imported model; only a running fleet knows it (latfleet study run)`);
    const d = describeVariant(v.spec);
    return {
      label: v.label,
      name: v.name,
      format: v.format,
      baseline: v.label === spec.baseline,
      madds: d.madds,
      params: d.params,
      estimatedMs: (d.madds / 1e9) * ESTIMATE_MS_PER_GMADD,
    };
  });
  const collapsed = spec.collapsed ?? [];
  const rounds = { min: protocol.replicates, max: protocol.targetHalfWidthPct > 0 ? protocol.maxReplicates : protocol.replicates };
  const perRound = variants.reduce((sum, v) => sum + roundSecondsOf(v.estimatedMs, protocol), 0);
  // no new round starts after the budget: the last one that started still finishes
  const capped = (s: number) => (protocol.budgetSeconds > 0 ? Math.min(s, Math.ceil(protocol.budgetSeconds / perRound) * perRound) : s);
  return {
    name: spec.name,
    ...(spec.description === undefined ? {} : { description: spec.description }),
    combinations: variants.length + collapsed.length,
    variants,
    collapsed,
    rounds,
    eachDevice: Boolean(spec.devices?.each || spec.devices?.ids),
    jobs: { min: variants.length * rounds.min, max: variants.length * rounds.max },
    seconds: { min: capped(perRound * rounds.min), max: capped(perRound * rounds.max) },
    protocol,
  };
}

/** ` (1 more combination builds the same graph: a = b)` for a created study's spec; empty when none. */
export function collapsedNote(spec: Pick<StudySpec, 'collapsed'>): string {
  const collapsed = spec.collapsed ?? [];
  if (collapsed.length === 0) return '';
  const list = collapsed.map((c) => `${c.label} = ${c.sameAs}`).join('; ');
  return ` (${collapsed.length} more combination${collapsed.length === 1 ? ' builds' : 's build'} the same graph: ${list})`;
}

const duration = (s: number): string => (s < 90 ? `${Math.round(s)} s` : s < 5400 ? `${(s / 60).toFixed(1)} min` : `${(s / 3600).toFixed(1)} h`);
const range = (r: { min: number; max: number }, show: (n: number) => string = String): string => (r.min === r.max ? show(r.min) : `${show(r.min)}–${show(r.max)}`);

export function renderStudyPlan(plan: StudyPlan): string {
  const p = plan.protocol;
  const table = compactTable(['label', 'variant', 'MAdds M', 'params M', 'est. ms']);
  for (const v of plan.variants) {
    table.push([
      `${v.label}${v.baseline ? ' (baseline)' : ''}`,
      v.format === 'onnx' ? v.name : `${v.name} (${v.format})`,
      (v.madds / 1e6).toFixed(1),
      (v.params / 1e6).toFixed(2),
      v.estimatedMs.toFixed(1),
    ]);
  }
  const lines = [
    `${plan.name}${plan.description ? ` — ${plan.description}` : ''}`,
    `${plan.combinations} combination${plan.combinations === 1 ? '' : 's'} → ${plan.variants.length} variant${plan.variants.length === 1 ? '' : 's'}` +
      (plan.collapsed.length
        ? `; ${plan.collapsed.length} build${plan.collapsed.length === 1 ? 's' : ''} the same graph as another and ${plan.collapsed.length === 1 ? 'is' : 'are'} measured once:`
        : ''),
    ...plan.collapsed.map((c) => `  ${c.label} = ${c.sameAs}`),
    table.toString(),
    `rounds: ${range(plan.rounds)} per device` +
      (plan.rounds.min === plan.rounds.max ? '' : ` (more until every Δ% is within ±${p.targetHalfWidthPct}%)`) +
      `; each round: ${p.warmupRuns} warm-up (≥ ${p.warmupMinSeconds} s), ${p.timedRuns} timed${p.timedMinSeconds > 0 ? ` (≥ ${p.timedMinSeconds} s)` : ''}, ${p.profiledRuns} profiled runs per variant, ${p.interleave}`,
    `jobs: ${range(plan.jobs)} (${plan.variants.length} variants × ${range(plan.rounds)} rounds)${plan.eachDevice ? ' on each matching device' : ', on any matching device'}`,
    `estimated device time: ${range(plan.seconds, duration)}${plan.eachDevice ? ' per device' : ''}${p.budgetSeconds > 0 ? ` (budget ${duration(p.budgetSeconds)})` : ''}` +
      ` — at ${ESTIMATE_MS_PER_GMADD} ms per billion multiply-adds, one CPU core like the development VM; est. ms is that rate, not a prediction`,
  ];
  return `${lines.join('\n')}\n`;
}
