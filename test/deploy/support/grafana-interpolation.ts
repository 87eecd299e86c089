/**
 * What Grafana does to a query before its data source runs it: template variables first (the
 * frontend's template service), then the data source's macros (for Postgres, Grafana's sqleng
 * macro engine). Reproduced here for the constructs latfleet's dashboards use; anything else is an
 * error, so a dashboard cannot use a construct these tests would silently leave unexpanded.
 */

export interface TimeRange {
  from: Date;
  to: Date;
}

/** Selected values of a variable; `multi` is true for multi-value or include-all variables. */
export interface VariableValue {
  values: string[];
  multi: boolean;
}

export type VariableValues = ReadonlyMap<string, VariableValue>;

/** Grafana's variable syntax: `$name`, `[[name:format]]`, `${name:format}`. */
const VARIABLE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?::([^}]+))?\}/g;

const quoteLiteral = (v: string) => `'${v.replace(/'/g, "''")}'`;

/** SQL data sources' interpolation: a single value escaped but not quoted; several values quoted and joined. */
function formatSql(v: VariableValue, format: string | undefined, name: string): string {
  switch (format) {
    case undefined:
      return v.multi ? v.values.map(quoteLiteral).join(',') : (v.values[0] ?? '').replace(/'/g, "''");
    case 'sqlstring':
      return v.values.map(quoteLiteral).join(',');
    case 'csv':
    case 'raw':
      return v.values.join(',');
    default:
      throw new Error(`\${${name}:${format}}: format not supported by these tests`);
  }
}

/** Prometheus' interpolation: several values become a regex alternation. */
function formatPromql(v: VariableValue, format: string | undefined, name: string): string {
  const escape = (s: string) => s.replace(/[\\^$*+?.()|{}[\]]/g, '\\\\$&');
  switch (format) {
    case undefined:
    case 'regex':
      return v.multi ? `(${v.values.map(escape).join('|')})` : escape(v.values[0] ?? '');
    case 'raw':
      return v.values.join(',');
    default:
      throw new Error(`\${${name}:${format}}: format not supported by these tests`);
  }
}

function interpolateVariables(query: string, vars: VariableValues, format: typeof formatSql): string {
  return query.replace(VARIABLE, (match, plain?: string, bracket?: string, bracketFormat?: string, braced?: string, bracedFormat?: string) => {
    const name = (plain ?? bracket ?? braced)!;
    if (name.startsWith('__')) return match; // a macro or a global variable: the data source's turn
    const value = vars.get(name);
    if (!value) throw new Error(`variable $${name} is not defined on the dashboard (in: ${query.slice(0, 80)}…)`);
    return format(value, bracketFormat ?? bracedFormat, name);
  });
}

const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** `'5m'`, `1h`, `30s` → seconds. */
function seconds(interval: string): number {
  const m = /^'?(\d+)(ms|s|m|h|d|w)'?$/.exec(interval.trim());
  if (!m) throw new Error(`interval ${interval} not understood`);
  const unit = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd' | 'w'];
  return Number(m[1]) * unit;
}

/** Splits `a, f(b, c), 'd'` at its top-level commas. */
function splitArgs(args: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of args) {
    if (ch === ',' && depth === 0) {
      out.push(current.trim());
      current = '';
      continue;
    }
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    current += ch;
  }
  if (current.trim()) out.push(current.trim());
  return out;
}

/** Grafana's Postgres macros (pkg/tsdb/grafana-postgresql-datasource/macros.go). */
function expandPostgresMacros(sql: string, range: TimeRange, intervalMs: number): string {
  const from = rfc3339(range.from);
  const to = rfc3339(range.to);
  const timeGroup = (args: string[]) => {
    const s = seconds(args[1] ?? '');
    return `floor(extract(epoch from ${args[0]})/${s})*${s}`;
  };
  const macros: Record<string, (args: string[]) => string> = {
    __time: (a) => `${a[0]} AS "time"`,
    __timeEpoch: (a) => `extract(epoch from ${a[0]}) AS "time"`,
    __timeFilter: (a) => `${a[0]} BETWEEN '${from}' AND '${to}'`,
    __timeFrom: () => `'${from}'`,
    __timeTo: () => `'${to}'`,
    __timeGroup: timeGroup,
    __timeGroupAlias: (a) => `${timeGroup(a)} AS "time"`,
    __unixEpochFilter: (a) => `${a[0]} >= ${Math.floor(range.from.getTime() / 1000)} AND ${a[0]} <= ${Math.floor(range.to.getTime() / 1000)}`,
  };
  let out = '';
  let rest = sql;
  for (;;) {
    const m = /\$(__\w+)\(/.exec(rest);
    if (!m) break;
    const start = m.index + m[0].length;
    let depth = 1;
    let end = start;
    while (end < rest.length && depth > 0) {
      if (rest[end] === '(') depth++;
      if (rest[end] === ')') depth--;
      end++;
    }
    const macro = macros[m[1]!];
    if (!macro) throw new Error(`macro $${m[1]} not supported by these tests`);
    out += rest.slice(0, m.index) + macro(splitArgs(rest.slice(start, end - 1)));
    rest = rest.slice(end);
  }
  out += rest;
  return out
    .replace(/\$__interval_ms\b/g, String(intervalMs))
    .replace(/\$__interval\b/g, `${Math.max(1, Math.round(intervalMs / 1000))}s`)
    .replace(/\$__from\b/g, String(range.from.getTime()))
    .replace(/\$__to\b/g, String(range.to.getTime()));
}

function assertExpanded(query: string): string {
  const left = /\$__\w+|\$\{|\[\[|\$[A-Za-z_]\w*/.exec(query);
  if (left) throw new Error(`"${left[0]}" left unexpanded in: ${query}`);
  return query;
}

/** The SQL Grafana's Postgres data source would run for this panel query or variable query. */
export function interpolateSql(sql: string, vars: VariableValues, range: TimeRange, intervalMs = 60_000): string {
  return assertExpanded(expandPostgresMacros(interpolateVariables(sql, vars, formatSql), range, intervalMs));
}

/**
 * The PromQL Grafana's Prometheus data source would send. `$__rate_interval` is
 * max($__interval + scrape interval, 4 × scrape interval) in Grafana; the caller passes its value.
 */
export function interpolatePromql(expr: string, vars: VariableValues, range: TimeRange, opts: { interval: string; rateInterval: string }): string {
  const rangeSeconds = Math.round((range.to.getTime() - range.from.getTime()) / 1000);
  const out = interpolateVariables(expr, vars, formatPromql)
    .replace(/\$__rate_interval\b/g, opts.rateInterval)
    .replace(/\$__interval_ms\b/g, String(seconds(opts.interval) * 1000))
    .replace(/\$__interval\b/g, opts.interval)
    .replace(/\$__range_s\b/g, String(rangeSeconds))
    .replace(/\$__range_ms\b/g, String(rangeSeconds * 1000))
    .replace(/\$__range\b/g, `${rangeSeconds}s`);
  return assertExpanded(out);
}
