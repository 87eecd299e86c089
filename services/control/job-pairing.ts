import { jobRunnable, type MatchedDevice, type MatchedJob } from '../lib/store/index.js';

/**
 * Which free device takes which queued job: the pure half of leasing (job.repository.ts runs the
 * SQL around it). A device may take a job by `jobRunnable`, the TypeScript of the SQL rule the
 * candidates' query uses (`jobRunnableOn`); both are written from one table in lib/store/device-selector.ts.
 */

/** A free device asking for work. */
export type LeasingDevice = MatchedDevice;

export interface CandidateJob extends MatchedJob {
  id: string;
  /** study, round, target and format: jobs with one key form a round, which goes to one device */
  roundKey?: string;
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
      if (taken[i] || (key !== undefined && roundTaken.has(key)) || !jobRunnable(jobs[i]!, d)) continue;
      taken[i] = true;
      if (key !== undefined) roundTaken.add(key);
      pairs.push({ jobId: jobs[i]!.id, deviceId: d.id });
      break;
    }
  }
  return pairs;
}
