import type { DataSource } from 'typeorm';
import { updateReturning } from './returning.js';

/** Channel on which control processes learn of cancelled jobs their agents are running. */
export const CANCEL_CHANNEL = 'latfleet_cancel';

export interface CancelledLease {
  jobId: string;
  deviceId: string;
}

/**
 * Cancels a study: queued jobs never run, leased ones end with outcome `cancelled` and the control
 * processes are notified so they can tell the agents. Returns null for an unknown study.
 */
export async function cancelStudy(ds: DataSource, studyId: string): Promise<CancelledLease[] | null> {
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
    if (cancelled.length) await m.query(`SELECT pg_notify($1, $2)`, [CANCEL_CHANNEL, JSON.stringify(cancelled)]);
    return cancelled;
  });
}
