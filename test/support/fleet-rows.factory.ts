import { randomUUID } from 'node:crypto';

/**
 * One factory per table: a row as control and query store it, every column a spec does not care
 * about filled with a plain default. Integration specs seed through these instead of writing their
 * own INSERTs, so that a new NOT NULL column is added here once.
 */

/** A typeorm DataSource or anything else that runs a parameterized query. */
export interface Queryable {
  query(sql: string, params?: unknown[]): Promise<any>;
}

/** `pg` answers `{ rows }`; typeorm the rows themselves. */
const rowsOf = (r: any): any[] => (Array.isArray(r) ? r : r.rows);

export interface SeededDevice {
  id: string;
  name: string;
  deviceClass: string;
  cpuModel: string;
  tags: Record<string, string>;
  formats: string[];
}

export async function insertDevice(
  db: Queryable,
  o: {
    id?: string;
    name?: string;
    deviceClass?: string;
    cpuModel?: string;
    tags?: Record<string, string>;
    formats?: string[];
    /** false: state offline, never seen unless lastSeenSecondsAgo says otherwise */
    online?: boolean;
    /** when it was last seen, by the database's clock; default now when online, never otherwise */
    lastSeenSecondsAgo?: number | null;
    runtimeVersion?: string;
    agentVersion?: string;
    /** the issued enrollment token it registered with */
    enrollmentTokenId?: string;
  } = {},
): Promise<SeededDevice> {
  const d = {
    name: o.name ?? `dev-${randomUUID().slice(0, 8)}`,
    deviceClass: o.deviceClass ?? 'cpu',
    cpuModel: o.cpuModel ?? 'test cpu',
    tags: o.tags ?? {},
    formats: o.formats ?? ['onnx'],
  };
  const online = o.online ?? true;
  const lastSeen = o.lastSeenSecondsAgo === undefined ? (online ? 0 : null) : o.lastSeenSecondsAgo;
  const [row] = rowsOf(
    await db.query(
      `INSERT INTO devices (id, name, device_class, cpu_model, cores, os, hostname, runner, runtime_version, agent_version, credential_hash, tags, formats, state, last_seen_at,
                            enrollment_token_id)
       VALUES (coalesce($1::uuid, gen_random_uuid()), $2, $3, $4, 2, 'linux', 'host', 'ort-node', $5, $6, 'x', $7, $8, $9,
               CASE WHEN $10::float8 IS NULL THEN NULL ELSE now() - make_interval(secs => $10::float8) END, $11)
       RETURNING id`,
      [
        o.id ?? null,
        d.name,
        d.deviceClass,
        d.cpuModel,
        o.runtimeVersion ?? '1.30.0',
        o.agentVersion ?? '0.1.0',
        d.tags,
        d.formats,
        online ? 'online' : 'offline',
        lastSeen,
        o.enrollmentTokenId ?? null,
      ],
    ),
  );
  return { id: row.id, ...d };
}

/** A model row; what a spec leaves out is a placeholder (one byte of data, one MAdd, no layers). */
export async function insertModelRow(
  db: Queryable,
  o: {
    sha256: string;
    name?: string;
    family?: string;
    spec?: object;
    resolution?: number;
    inputName?: string;
    inputShape?: number[];
    data?: Uint8Array;
    madds?: number;
    params?: number;
    layers?: unknown[];
    format?: string;
  },
): Promise<void> {
  const data = Buffer.from(o.data ?? [0]);
  await db.query(
    `INSERT INTO models (sha256, name, family, spec, resolution, input_name, input_shape, size_bytes, madds, params, layers, data, format)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT DO NOTHING`,
    [
      o.sha256,
      o.name ?? 'm',
      o.family ?? 'f',
      JSON.stringify(o.spec ?? {}),
      o.resolution ?? 224,
      o.inputName ?? 'input',
      o.inputShape ?? [1, 3, 224, 224],
      data.length,
      o.madds ?? 1,
      o.params ?? 1,
      JSON.stringify(o.layers ?? []),
      data,
      o.format ?? 'onnx',
    ],
  );
}

export async function insertStudyRow(db: Queryable, o: { name?: string; baselineLabel?: string; priority?: number; status?: string } = {}): Promise<string> {
  const [row] = rowsOf(
    await db.query(`INSERT INTO studies (name, spec, baseline_label, priority, status) VALUES ($1, '{}', $2, $3, $4) RETURNING id`, [
      o.name ?? `study-${randomUUID().slice(0, 8)}`,
      o.baselineLabel ?? 'v0',
      o.priority ?? 0,
      o.status ?? 'queued',
    ]),
  );
  return row.id;
}

export async function insertVariant(db: Queryable, o: { studyId: string; label: string; modelSha256: string; baseline: boolean; position: number }): Promise<string> {
  const [row] = rowsOf(
    await db.query(`INSERT INTO variants (study_id, label, model_sha256, is_baseline, position) VALUES ($1, $2, $3, $4, $5) RETURNING id`, [
      o.studyId,
      o.label,
      o.modelSha256,
      o.baseline,
      o.position,
    ]),
  );
  return row.id;
}

/** A job as a study queues it (queued, no device), or, with `state` and `deviceId`, as control left it. */
export async function insertJob(
  db: Queryable,
  o: {
    studyId: string;
    variantId: string;
    protocol?: object;
    maxAttempts?: number;
    priority?: number;
    selector?: object;
    targetDeviceId?: string | null;
    round?: number;
    roundPosition?: number;
    state?: string;
    attempt?: number;
    deviceId?: string | null;
    /** seconds from now its lease runs out (a leased job) */
    leaseSeconds?: number;
  },
): Promise<string> {
  const [row] = rowsOf(
    await db.query(
      `INSERT INTO jobs (study_id, variant_id, protocol, max_attempts, priority, selector, target_device_id, round, round_position, state, attempt, device_id, lease_expires_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, CASE WHEN $13::float8 IS NULL THEN NULL ELSE now() + make_interval(secs => $13::float8) END, clock_timestamp())
       RETURNING id`,
      [
        o.studyId,
        o.variantId,
        JSON.stringify(o.protocol ?? {}),
        o.maxAttempts ?? 3,
        o.priority ?? 0,
        JSON.stringify(o.selector ?? {}),
        o.targetDeviceId ?? null,
        o.round ?? 0,
        o.roundPosition ?? 0,
        o.state ?? 'queued',
        o.attempt ?? 0,
        o.deviceId ?? null,
        o.leaseSeconds ?? null,
      ],
    ),
  );
  return row.id;
}

/** A job's attempt on a device, leased `leasedSecondsAgo` ago and not ended. */
export async function insertJobAttempt(db: Queryable, o: { jobId: string; attempt: number; deviceId: string; leasedSecondsAgo: number }): Promise<void> {
  await db.query(`INSERT INTO job_attempts (job_id, attempt, device_id, leased_at) VALUES ($1, $2, $3, now() - make_interval(secs => $4::float8))`, [
    o.jobId,
    o.attempt,
    o.deviceId,
    o.leasedSecondsAgo,
  ]);
}

/** An upload control ingested (stored) or refused (rejected, with its error code). */
export async function insertResultUpload(db: Queryable, o: { outcome: 'stored' | 'rejected'; bytes: number; errorCode?: string }): Promise<void> {
  await db.query(`INSERT INTO result_uploads (outcome, bytes, error_code) VALUES ($1, $2, $3)`, [o.outcome, o.bytes, o.errorCode ?? null]);
}

/** An enrollment token by the hash of its secret. */
export async function insertEnrollmentToken(db: Queryable, o: { name: string; tokenHash: string }): Promise<string> {
  const [row] = rowsOf(await db.query(`INSERT INTO enrollment_tokens (name, token_hash) VALUES ($1, $2) RETURNING id`, [o.name, o.tokenHash]));
  return row.id;
}

/** A user's accuracy entry for a model (not a preloaded published one). */
export async function insertAccuracy(db: Queryable, o: { model: string; top1: number; source: string; createdAt?: Date }): Promise<void> {
  await db.query(`INSERT INTO accuracies (model_name, top1, source, created_at) VALUES ($1, $2, $3, coalesce($4::timestamptz, now()))`, [
    o.model,
    o.top1,
    o.source,
    o.createdAt ?? null,
  ]);
}
