import type { Dashboard, Panel } from './grafana-dashboards.js';
import { interpolateSql, type TimeRange, type VariableValue } from './grafana-interpolation.js';

export type SqlRows = Array<Record<string, unknown>>;
export type RunSql = (sql: string) => Promise<SqlRows>;

export interface ResolvedVariable extends VariableValue {
  /** every option the variable's query returned, by value */
  options: string[];
}

/**
 * Resolves a dashboard's variables in order, as Grafana does on load: runs each query variable's
 * query (interpolated with the variables before it), takes `__value` (else the first column) of each
 * row as an option, and selects every option for include-all variables saved as All, else the first.
 */
export async function resolveVariables(dashboard: Dashboard, runSql: RunSql, range: TimeRange): Promise<Map<string, ResolvedVariable>> {
  const vars = new Map<string, ResolvedVariable>();
  for (const v of dashboard.templating.list) {
    if (v.type !== 'query' || v.datasource?.uid !== 'latfleet-postgres' || typeof v.query !== 'string') {
      throw new Error(`${dashboard.uid}: variable ${v.name} (${v.type}) is of a kind these tests do not resolve`);
    }
    const rows = await runSql(interpolateSql(v.query, vars, range));
    const options = [...new Set(rows.map((r) => String('__value' in r ? r['__value'] : Object.values(r)[0])))];
    if (options.length === 0) throw new Error(`${dashboard.uid}: variable ${v.name} has no options (query: ${v.query})`);
    const multi = Boolean(v.multi || v.includeAll);
    const savedAll = [v.current?.value].flat().includes('$__all');
    vars.set(v.name, { options, multi, values: v.includeAll && savedAll ? options : [options[0]!] });
  }
  return vars;
}

/**
 * The variable scopes a panel runs its queries in: one, or for a panel repeated over a variable,
 * one per selected value with that variable narrowed to the value.
 */
export function panelScopes(panel: Panel, vars: ReadonlyMap<string, ResolvedVariable>): Array<{ label: string; vars: Map<string, VariableValue> }> {
  if (!panel.repeat) return [{ label: panel.title, vars: new Map(vars) }];
  const over = vars.get(panel.repeat);
  if (!over) throw new Error(`panel ${panel.title} repeats over unknown variable ${panel.repeat}`);
  return over.values.map((value) => ({ label: `${panel.title} [${panel.repeat}=${value}]`, vars: new Map([...vars, [panel.repeat!, { ...over, values: [value] }]]) }));
}
