import { describe, expect, it } from 'vitest';
import { CANCEL_CHANNEL, notifyCancelled, type JobCancellation } from './study-cancellation.js';

function recorder() {
  const payloads: string[] = [];
  const m = {
    query: async (sql: string, params?: unknown[]) => {
      expect(sql).toContain('pg_notify');
      expect(params?.[0]).toBe(CANCEL_CHANNEL);
      payloads.push(params![1] as string);
      return [];
    },
  };
  return { m, payloads };
}

describe(notifyCancelled.name, () => {
  it('splits many leases into payloads pg_notify accepts (under 8000 bytes), losing none', async () => {
    const { m, payloads } = recorder();
    const leases: JobCancellation[] = Array.from({ length: 500 }, (_, i) => ({
      jobId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      deviceId: `10000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      reason: 'ran longer than the maximum job duration (14400 s)',
    }));

    await notifyCancelled(m, leases);

    expect(payloads.length).toBeGreaterThan(1);
    expect(payloads.every((p) => Buffer.byteLength(p) < 8000)).toBe(true);
    expect(payloads.flatMap((p) => JSON.parse(p) as JobCancellation[])).toEqual(leases);
  });

  it('sends nothing for no leases', async () => {
    const { m, payloads } = recorder();
    await notifyCancelled(m, []);
    expect(payloads).toHaveLength(0);
  });
});
