import type { DeviceEntity, DeviceSelector } from '../lib/store/index.js';

/**
 * Which free device takes which queued job: the pure half of leasing (job.repository.ts runs the
 * SQL around it). The rule a device must meet is also SQL (`jobRunnableOn`, for the candidates'
 * query); `deviceMatches` is its TypeScript twin for the pairing (job.repository.int-spec.ts
 * leases against both).
 */

export type LeasingDevice = Pick<DeviceEntity, 'id' | 'deviceClass' | 'cpuModel' | 'tags'> & Partial<Pick<DeviceEntity, 'formats'>>;

/** The formats a device runs; a device registered before formats were announced runs ONNX. */
export const formatsOf = (d: LeasingDevice): string[] => d.formats ?? ['onnx'];

export interface CandidateJob {
  id: string;
  targetDeviceId: string | null;
  selector: DeviceSelector | null;
  /** the model's format; absent: onnx */
  format?: string;
  /** study, round, target and format: jobs with one key form a round, which goes to one device */
  roundKey?: string;
}

export function deviceMatches(job: CandidateJob, d: LeasingDevice): boolean {
  const s = job.selector ?? {};
  if (job.targetDeviceId && job.targetDeviceId !== d.id) return false;
  if (s.class != null && s.class !== d.deviceClass) return false;
  if (s.cpuModel != null && s.cpuModel !== d.cpuModel) return false;
  if (!formatsOf(d).includes(job.format ?? 'onnx')) return false;
  const tags = d.tags ?? {};
  return Object.entries(s.tags ?? {}).every(([k, v]) => tags[k] === v);
}

/**
 * Pairs devices with jobs the way one lease per device in turn would: each device takes the first
 * job (in candidate order) that it matches and nobody took yet, and no job of a round another
 * device took (a round runs on one device).
 */
export function pairDevicesWithJobs(
  devices: LeasingDevice[],
  jobs: CandidateJob[],
  /** rounds already given to a device in this batch; the pairs made here are added */
  roundTaken = new Set<string>(),
): Array<{ jobId: string; deviceId: string }> {
  const taken = new Array<boolean>(jobs.length).fill(false);
  const pairs: Array<{ jobId: string; deviceId: string }> = [];
  let firstFree = 0;
  for (const d of devices) {
    while (firstFree < jobs.length && taken[firstFree]) firstFree++;
    for (let i = firstFree; i < jobs.length; i++) {
      const key = jobs[i]!.roundKey;
      if (taken[i] || (key !== undefined && roundTaken.has(key)) || !deviceMatches(jobs[i]!, d)) continue;
      taken[i] = true;
      if (key !== undefined) roundTaken.add(key);
      pairs.push({ jobId: jobs[i]!.id, deviceId: d.id });
      break;
    }
  }
  return pairs;
}
