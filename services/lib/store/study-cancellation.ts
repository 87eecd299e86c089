import type { DataSource } from 'typeorm';
import { updateReturning } from './returning.js';

/** Channel on which control processes learn of cancelled jobs their agents are running. */
export const CANCEL_CHANNEL = 'latfleet_cancel';

/** A job whose lease ended while its agent may still be running it: the agent is told to stop. */
export interface JobCancellation {
  jobId: string;
  deviceId: string;
  /** what the agent is told; default: the study was cancelled */
  reason?: string;
}

/** pg_notify refuses payloads of 8000 bytes or more. */
const MAX_PAYLOAD_BYTES = 7_500;

/**
 * Tells every control process (LISTEN on CANCEL_CHANNEL) about jobs whose leases ended while their
 * agents may still be running them; inside a transaction, the notifications go out on commit. Split
 * into payloads pg_notify accepts, however many there are.
 */
export async function notifyCancelled(m: { query(sql: string, params?: unknown[]): Promise<unknown> }, cancellations: JobCancellation[]): Promise<void> {
  let batch: string[] = [];
  let bytes = 2;
  const flush = async () => {
    if (batch.length) await m.query(`SELECT pg_notify($1, $2)`, [CANCEL_CHANNEL, `[${batch.join(',')}]`]);
    batch = [];
    bytes = 2;
  };
  for (const cancellation of cancellations) {
    const item = JSON.stringify(cancellation);
    if (bytes + Buffer.byteLength(item) + 1 > MAX_PAYLOAD_BYTES) await flush();
    batch.push(item);
    bytes += Buffer.byteLength(item) + 1;
  }
  await flush();
}

/**
 * Cancels a study: queued jobs never run, leased ones end with outcome `cancelled` and the control
 * processes are notified so they can tell the agents. Returns null for an unknown study.
 */
export async function cancelStudy(ds: DataSource, studyId: string): Promise<JobCancellation[] | null> {
  return ds.transaction(async (m) => {
    const [study]: Array<{ id: string }> = await m.query(`SELECT id FROM studies WHERE id = $1 FOR UPDATE`, [studyId]);
    if (!study) return null;
    const rows = await updateReturning<{ id: string; device_id: string | null; attempt: number; was: string }>(
      m,
      `UPDATE jobs j SET state = 'cancelled', lease_expires_at = NULL, updated_at = now()
         FROM jobs old WHERE old.id = j.id AND j.study_id = $1 AND j.state IN ('queued', 'leased')
       RETURNING j.id, j.device_id, j.attempt, old.state AS was`,
      [studyId],
    );
    const leased = rows.filter((r) => r.was === 'leased' && r.device_id);
    for (const r of leased) {
      await m.query(`UPDATE job_attempts SET outcome = 'cancelled', ended_at = now() WHERE job_id = $1 AND attempt = $2 AND outcome IS NULL`, [r.id, r.attempt]);
    }
    await m.query(`UPDATE studies SET status = 'cancelled', finished_at = now() WHERE id = $1 AND status IN ('queued', 'running')`, [studyId]);
    const cancelled = leased.map((r) => ({ jobId: r.id, deviceId: r.device_id! }));
    await notifyCancelled(m, cancelled);
    return cancelled;
  });
}
