import type { DeviceEntity } from './entities/device.entity.js';
import type { DeviceSelector } from './entities/job.entity.js';

/**
 * Which device may run a job, defined once and written in both languages from the one table below:
 * as SQL for the queries that find candidates (control's lease, query's "waiting" reasons, the
 * devices a study runs on) and as TypeScript for control's pure pairing of devices with jobs.
 * device-selector.int-spec.ts checks that the two agree on every pair of a constructed grid.
 */

/** The scalar fields a selector may name: each must equal the device's (column, property) when given. */
const SELECTOR_FIELDS = [
  { key: 'class', column: 'device_class', property: 'deviceClass' },
  { key: 'cpuModel', column: 'cpu_model', property: 'cpuModel' },
] as const satisfies ReadonlyArray<{ key: Exclude<keyof DeviceSelector, 'tags'>; column: string; property: keyof DeviceEntity }>;

/** A device as the match reads it; a device that announced no formats runs ONNX (the column's default). */
export type MatchedDevice = Pick<DeviceEntity, 'id' | 'deviceClass' | 'cpuModel' | 'tags'> & Partial<Pick<DeviceEntity, 'formats'>>;

/** What of a job the match reads: its target device, its selector and its model's format (absent: onnx). */
export interface MatchedJob {
  targetDeviceId: string | null;
  selector: DeviceSelector | null;
  format?: string;
}

export const formatsOf = (d: Pick<MatchedDevice, 'formats'>): string[] => d.formats ?? ['onnx'];

/**
 * SQL: device `d` (a row shaped like `devices`: device_class, cpu_model, tags) meets `selector`, a
 * jsonb expression (a job's `selector` column, or a bound `$n::jsonb`). A missing or null field matches any device.
 */
export function selectorMatchSql(selector: string, d: string): string {
  return [
    ...SELECTOR_FIELDS.map((f) => `(${selector}->>'${f.key}' IS NULL OR ${selector}->>'${f.key}' = ${d}.${f.column})`),
    `coalesce(${d}.tags, '{}') @> coalesce(nullif(${selector}->'tags', 'null'), '{}')`,
  ].join('\n     AND ');
}

/** selectorMatchSql, in TypeScript. */
export function selectorMatches(selector: DeviceSelector | null, d: Pick<MatchedDevice, 'deviceClass' | 'cpuModel' | 'tags'>): boolean {
  const s = selector ?? {};
  if (SELECTOR_FIELDS.some((f) => s[f.key] != null && s[f.key] !== d[f.property])) return false;
  const tags = d.tags ?? {};
  return Object.entries(s.tags ?? {}).every(([k, v]) => tags[k] === v);
}

/**
 * SQL: job `j` may run on device `d` (a row shaped like `devices`: id, device_class, cpu_model,
 * tags, formats): its target, its selector and its model's format. The lease and the study's
 * "waiting" reasons use this one rule.
 */
export function jobRunnableOn(j: string, d: string): string {
  return `(${j}.target_device_id IS NULL OR ${j}.target_device_id = ${d}.id)
     AND ${selectorMatchSql(`${j}.selector`, d)}
     AND ${j}.format = ANY(${d}.formats)`;
}

/** jobRunnableOn, in TypeScript. */
export function jobRunnable(job: MatchedJob, d: MatchedDevice): boolean {
  if (job.targetDeviceId && job.targetDeviceId !== d.id) return false;
  return selectorMatches(job.selector, d) && formatsOf(d).includes(job.format ?? 'onnx');
}
