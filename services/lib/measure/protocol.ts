import { z } from 'zod';
import { zodIssuePath } from '../errors/zod-error.js';

export const OPTIMIZATION_LEVELS = ['disabled', 'basic', 'extended', 'all'] as const;
export type OptimizationLevel = (typeof OPTIMIZATION_LEVELS)[number];
export const INTERLEAVE_MODES = ['blocks', 'sequential'] as const;
export type InterleaveMode = (typeof INTERLEAVE_MODES)[number];

/** Cap on timed runs when the spec sets none and a duration or confidence rule asks for more than `timedRuns`. */
export const DEFAULT_TIMED_MAX_RUNS = 10_000;

const count = (max: number) => z.number().int().min(0).max(max);
const fraction = z.number().min(0).max(1);

/**
 * How a job is measured; every study spec may override the defaults. The defaults of the fields
 * added after the first four keep the original behaviour: exactly `timedRuns` timed runs (the
 * duration and confidence rules only extend the phase when a spec turns them on).
 */
export const protocolSchema = z
  .object({
    warmupRuns: count(10_000).default(10),
    /** Warm-up lasts at least this long (and at least `warmupRuns` runs): caches, allocator and DVFS settle. */
    warmupMinSeconds: z.number().min(0).max(600).default(0.5),
    /** Minimum number of timed runs. */
    timedRuns: z.number().int().min(1).max(100_000).default(100),
    /** Timed runs continue until they have lasted this long as well (sum of the timed runs' latencies). */
    timedMinSeconds: z.number().min(0).max(3_600).default(0),
    /** Hard cap on timed runs; default max(timedRuns, DEFAULT_TIMED_MAX_RUNS). */
    timedMaxRuns: z.number().int().min(1).max(1_000_000).optional(),
    /** Idle pause between two runs (not timed); 0 runs them back to back. */
    cooldownMs: z.number().min(0).max(60_000).default(0),
    /**
     * Once the minimum count and duration are reached, stop as soon as the bootstrap 95% CI of the
     * median lies within ±targetCiFraction × median; until then continue up to the cap. 0: off.
     */
    targetCiFraction: fraction.default(0),
    profiledRuns: count(10_000).default(20),
    graphOptimizationLevel: z.enum(OPTIMIZATION_LEVELS).default('all'),
    /** Throttled when the core's frequency ends more than this fraction below where it started. */
    maxFrequencyDrop: fraction.default(0.1),
    /** Throttled when the hottest thermal zone rises more than this during the measurement. */
    maxTemperatureRiseC: z.number().min(0).max(200).default(10),
    /** Busy when the 1-minute load average of other work, per online core, is above this. */
    maxLoadPerCore: z.number().min(0).max(1_000).default(0.5),
    /** Busy when the process got less than this share of CPU time during the timed runs (preempted). */
    minCpuShare: fraction.default(0.9),
    /**
     * Busy when other work kept more than this many CPUs' worth busy during the timed runs: it slows
     * a measurement it does not preempt (shared caches and memory, SMT siblings, a hypervisor).
     */
    maxOtherBusyCpus: z.number().min(0).max(1_024).default(0.5),
    /** Unstable when the timed runs' median absolute deviation exceeds this fraction of their median. */
    maxRelativeMad: fraction.default(0.03),
    /**
     * Host speed: the agent times a fixed reference workload (the host speed probe) just before and
     * just after the timed runs. Throttled ('host-speed-changed') when the slower of the two took
     * more than this fraction longer than the faster: the host changed speed during the timed runs,
     * which a VM's guest sees nowhere else. 0: off (what a control plane that predates it sends).
     */
    maxHostSpeedChange: z.number().min(0).max(10).default(0.1),
    /**
     * Throttled ('host-slow') when the slower probe took more than this fraction longer than the
     * host's recent best (the second-fastest of the agent's last 32 probes, once it has 4): the host runs in a slow state. 0: off.
     */
    maxHostSlowdown: z.number().min(0).max(10).default(0.15),
    /** A throttled or busy measurement is repeated (after `retryCooldownMs`) at most this many times. */
    maxRetries: count(10).default(2),
    retryCooldownMs: z.number().min(0).max(600_000).default(5_000),
    /**
     * Rounds per device at least: in a round every variant of the study runs once (a fresh
     * session each) on one device, close together in time, so that each comparison is paired
     * against the same host state. Each round gives every variant one replicate.
     */
    replicates: z.number().int().min(1).max(100).default(3),
    /** Rounds per device at most: more are added after `replicates` until every comparison is precise enough. */
    maxReplicates: z.number().int().min(1).max(1_000).default(30),
    /**
     * Add rounds until every comparison's 95% CI of Δ% has at most this half-width (percentage
     * points) and its minimum detectable effect is at most this many percent, up to maxReplicates
     * or the time budget. 0: exactly `replicates` rounds.
     */
    targetHalfWidthPct: z.number().min(0).max(100).default(1),
    /**
     * The least between-study standard deviation of a paired ratio (percent, log scale) assumed
     * for every comparison: how far a study's Δ moves when the same study is run again later, which
     * no number of rounds in one study reveals. Added in quadrature to the rounds' own standard
     * error; a device's component learned from its repeated comparisons replaces it when larger
     * (docs/verdicts.md, "Between studies"). 0: intervals cover this study's rounds only.
     */
    betweenStudyPct: z.number().min(0).max(100).default(0.3),
    /**
     * The part of the between-study SD that grows with the difference itself, in percent of the
     * |log ratio|: two networks that differ much in what they do (a decomposed h-swish's extra
     * elementwise passes) differ in how the host's slow state changes their speeds, so their ratio
     * moves more between studies than that of near-twins (test/bench/RESULTS.md, "Sixth session").
     * Added in quadrature to betweenStudyPct (or the learned component). 0: the same for every size.
     */
    betweenStudyRelativePct: z.number().min(0).max(100).default(1),
    /** No new round starts once the study has measured on a device for this long (from its first lease there). 0: no budget. */
    budgetSeconds: z
      .number()
      .min(0)
      .max(7 * 86_400)
      .default(0),
    /**
     * How a round's variants share the agent: `blocks` opens every variant's session at once and
     * alternates blocks of `interleaveBlockRuns` timed runs between them (the tightest paired
     * ratios measured: test/bench/RESULTS.md, "Interleaving"); `sequential` runs each variant's
     * whole protocol in turn (what a runner that runs one model per tool invocation does anyway).
     */
    interleave: z.enum(INTERLEAVE_MODES).default('blocks'),
    interleaveBlockRuns: z.number().int().min(1).max(10_000).default(10),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.timedMaxRuns !== undefined && p.timedMaxRuns < p.timedRuns) {
      ctx.addIssue({ code: 'custom', path: ['timedMaxRuns'], message: `must be at least timedRuns (${p.timedRuns})` });
    }
    if (p.maxReplicates < p.replicates) {
      ctx.addIssue({ code: 'custom', path: ['maxReplicates'], message: `must be at least replicates (${p.replicates})` });
    }
  });

export type MeasurementProtocol = z.infer<typeof protocolSchema>;
export type MeasurementProtocolInput = z.input<typeof protocolSchema>;

export const DEFAULT_PROTOCOL: MeasurementProtocol = protocolSchema.parse({});

export const PROTOCOL_FIELDS = Object.keys(protocolSchema.shape) as Array<keyof MeasurementProtocol>;

export function timedMaxRuns(p: Pick<MeasurementProtocol, 'timedRuns' | 'timedMaxRuns'>): number {
  return p.timedMaxRuns ?? Math.max(p.timedRuns, DEFAULT_TIMED_MAX_RUNS);
}

/** Fields the wire may carry as 0 because the sender predates them (0 is not a valid value for them). */
const ZERO_IS_ABSENT = new Set<string>(['timedMaxRuns', 'interleaveBlockRuns', 'replicates', 'maxReplicates']);
const EMPTY_IS_ABSENT = new Set<string>(['graphOptimizationLevel', 'interleave']);

/** An invalid protocol: the field at fault (`timedRuns`) and why. */
export class ProtocolError extends RangeError {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`protocol.${field}: ${reason}`);
  }
}

/**
 * The protocol a job carries over the wire (proto `Protocol`, stored JSON) made whole: fields this
 * schema does not know (thread counts) are ignored, absent ones take their defaults, and so do an
 * empty optimization level and a zero timedMaxRuns (what proto3 carries when the sender did not
 * set them). Invalid values throw, naming the field.
 */
export function resolveProtocol(wire: object | undefined): MeasurementProtocol {
  const picked: Record<string, unknown> = {};
  for (const field of PROTOCOL_FIELDS) {
    const value = (wire as Record<string, unknown> | undefined)?.[field];
    // proto3 sends 0 / '' for a field an older sender does not know: absent where that value is not valid
    if (value === undefined || value === null || (EMPTY_IS_ABSENT.has(field) && value === '') || (ZERO_IS_ABSENT.has(field) && value === 0)) continue;
    picked[field] = value;
  }
  const parsed = protocolSchema.safeParse(picked);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ProtocolError(zodIssuePath(issue.path), issue.message);
  }
  return parsed.data;
}
