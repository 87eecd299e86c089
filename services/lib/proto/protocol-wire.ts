import { DEFAULT_PROTOCOL, timedMaxRuns, type MeasurementProtocol } from '../measure/protocol.js';
import type { Protocol } from './gen/latfleet/v1/job.js';

/**
 * A measurement protocol as it travels in a JobAssignment or RunSummary. Every field is sent
 * (proto3 has no absence for scalars), the timed-run cap resolved. Agents read it back with
 * `resolveProtocol`, which fills anything an older control plane did not send.
 */
export function toWireProtocol(p: Partial<MeasurementProtocol> = {}): Protocol {
  const full = { ...DEFAULT_PROTOCOL, ...p };
  return {
    warmupRuns: full.warmupRuns,
    timedRuns: full.timedRuns,
    profiledRuns: full.profiledRuns,
    graphOptimizationLevel: full.graphOptimizationLevel,
    intraOpThreads: 1,
    interOpThreads: 1,
    warmupMinSeconds: full.warmupMinSeconds,
    timedMinSeconds: full.timedMinSeconds,
    timedMaxRuns: timedMaxRuns(full),
    cooldownMs: full.cooldownMs,
    targetCiFraction: full.targetCiFraction,
    maxFrequencyDrop: full.maxFrequencyDrop,
    maxTemperatureRiseC: full.maxTemperatureRiseC,
    maxLoadPerCore: full.maxLoadPerCore,
    minCpuShare: full.minCpuShare,
    maxRetries: full.maxRetries,
    retryCooldownMs: full.retryCooldownMs,
    maxOtherBusyCpus: full.maxOtherBusyCpus,
    maxRelativeMad: full.maxRelativeMad,
    maxHostSpeedChange: full.maxHostSpeedChange,
    maxHostSlowdown: full.maxHostSlowdown,
    interleave: full.interleave,
    interleaveBlockRuns: full.interleaveBlockRuns,
  };
}
