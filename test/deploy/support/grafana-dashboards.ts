import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The parts of Grafana's dashboard model the deploy tests read; the JSON schema checks the rest. */
export interface DataSourceRef {
  type: string;
  uid: string;
}

export interface Target {
  refId: string;
  datasource: DataSourceRef;
  rawSql?: string;
  format?: 'table' | 'time_series';
  expr?: string;
  instant?: boolean;
  range?: boolean;
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: DataSourceRef;
  targets?: Target[];
  options?: Record<string, unknown>;
  fieldConfig?: { defaults: { custom?: Record<string, unknown> }; overrides: unknown[] };
  repeat?: string;
  panels?: Panel[];
}

export interface Variable {
  name: string;
  type: string;
  datasource?: DataSourceRef;
  query?: string;
  multi?: boolean;
  includeAll?: boolean;
  current?: { text?: string | string[]; value?: string | string[] };
}

export interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Variable[] };
}

export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const DASHBOARD_DIR = join(REPO_ROOT, 'grafana', 'dashboards');

export function loadDashboards(): Array<{ name: string; dashboard: Dashboard }> {
  return readdirSync(DASHBOARD_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ name: f.replace(/\.json$/, ''), dashboard: JSON.parse(readFileSync(join(DASHBOARD_DIR, f), 'utf8')) as Dashboard }));
}

/** Every panel, the ones inside rows included. */
export function panelsOf(dashboard: Dashboard): Panel[] {
  return dashboard.panels.flatMap((p) => (p.type === 'row' ? (p.panels ?? []) : [p]));
}
