import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../test/support/test-database.js';
import { insertEnrollmentToken } from '../../test/support/fleet-rows.factory.js';
import type { LatfleetConfig } from '../lib/config/index.js';
import { ErrorCode } from '../lib/errors/index.js';
import type { DeviceFacts } from '../lib/proto/index.js';
import { createDataSource, REVOKED } from '../lib/store/index.js';
import { DeviceRepository } from './device.repository.js';
import { DeviceService } from './device.service.js';

const TOKEN = 'device-service-enrollment-token';

const facts = (over: Partial<DeviceFacts> = {}): DeviceFacts => ({
  name: 'phone-1',
  deviceClass: 'android',
  cpuModel: 'Tensor',
  cores: 8,
  os: 'android 14',
  hostname: 'pixel',
  runner: 'android-adb',
  runtimeVersion: '1.20',
  agentVersion: '1',
  tags: { lab: 'a' },
  formats: ['onnx'],
  ...over,
});

describe(DeviceService.name, () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let ds: DataSource;
  let sut: DeviceService;
  const deviceRows = () => ds.query(`SELECT * FROM devices ORDER BY name`);

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource(db.url, { poolSize: 4 });
    await ds.initialize();
    sut = new DeviceService({ enrollmentToken: TOKEN, heartbeatMs: 1000 } as LatfleetConfig, new DeviceRepository(ds));
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('refuses to register a name that is taken, changes nothing, and the first agent keeps working', async () => {
    const first = await sut.register(TOKEN, facts({ name: 'taken' }));
    const before = await deviceRows();

    await expect(sut.register(TOKEN, facts({ name: 'taken', cpuModel: 'forged', tags: { lab: 'evil' } }))).rejects.toMatchObject({
      code: ErrorCode.PermissionDenied,
      field: 'facts.name',
    });

    expect(await deviceRows()).toEqual(before);
    await expect(sut.authenticate(`Bearer ${first.credential}`)).resolves.toMatchObject({ id: first.agentId, cpuModel: 'Tensor' });
  });

  it.each([
    [{ cores: 2 ** 31 }, 'facts.cores'],
    [{ cpuModel: 'Ten\0sor' }, 'facts.cpuModel'],
    [{ tags: { lab: 'a\0b' } }, 'facts.tags.lab'],
    [{ name: 'nul\0name' }, 'facts.name'],
    [{ name: 'phone\n[Nest] forged' }, 'facts.name'],
  ])('refuses facts %j naming %s and stores nothing', async (over, field) => {
    const before = await deviceRows();

    await expect(sut.register(TOKEN, facts({ name: 'unstored', ...over }))).rejects.toMatchObject({ code: ErrorCode.ValidationFailed, field });

    expect(await deviceRows()).toEqual(before);
  });

  it.each([
    ['a credential that is no uuid', () => 'Bearer ------------------------------------.x'],
    ['a valid credential with a part after a second dot', (credential: string) => `Bearer ${credential}.extra`],
  ])('answers %s with UNAUTHENTICATED', async (_what, bearer) => {
    const { credential } = await sut.register(TOKEN, facts({ name: `auth-${Math.random()}` }));

    await expect(sut.authenticate(bearer(credential))).rejects.toMatchObject({ code: ErrorCode.Unauthenticated });
  });

  it('refuses a revoked device from its next call and heartbeat, and gives its name, id and results to the next registration', async () => {
    const first = await sut.register(TOKEN, facts({ name: 'revoked-one' }));
    await expect(sut.heartbeat(first.agentId)).resolves.toBe(true);
    await ds.query(`UPDATE devices SET credential_hash = $2 WHERE id = $1`, [first.agentId, REVOKED]);

    await expect(sut.authenticate(`Bearer ${first.credential}`)).rejects.toMatchObject({ code: ErrorCode.Unauthenticated });
    await expect(sut.heartbeat(first.agentId)).resolves.toBe(false);

    const again = await sut.register(TOKEN, facts({ name: 'revoked-one', cpuModel: 'Tensor G4' }));
    expect(again.agentId).toBe(first.agentId);
    await expect(sut.authenticate(`Bearer ${again.credential}`)).resolves.toMatchObject({ id: first.agentId, cpuModel: 'Tensor G4' });
    await expect(sut.authenticate(`Bearer ${first.credential}`)).rejects.toMatchObject({ code: ErrorCode.Unauthenticated });
  });

  it('remembers the issued token a device enrolled with (none for the bootstrap token)', async () => {
    const issued = 'an-issued-enrollment-token-123';
    const tokenId = await insertEnrollmentToken(ds, { name: 'lab', tokenHash: createHash('sha256').update(issued).digest('hex') });
    const a = await sut.register(issued, facts({ name: 'by-issued-token' }));
    const b = await sut.register(TOKEN, facts({ name: 'by-bootstrap-token' }));
    const rows = await ds.query(`SELECT id, enrollment_token_id FROM devices WHERE id = ANY($1::uuid[])`, [[a.agentId, b.agentId]]);
    expect(Object.fromEntries(rows.map((r: { id: string; enrollment_token_id: string | null }) => [r.id, r.enrollment_token_id]))).toEqual({
      [a.agentId]: tokenId,
      [b.agentId]: null,
    });
  });
});
