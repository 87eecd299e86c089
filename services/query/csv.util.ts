/**
 * latfleet's one CSV convention, for the API and the CLI alike: RFC 4180 (CRLF, quoted when
 * needed), snake_case column names, lists `;`-separated, null and undefined as empty cells.
 */
export function toCsv(header: readonly string[], rows: ReadonlyArray<readonly unknown[]>): string {
  const cell = (v: unknown) => {
    const s = v === null || v === undefined ? '' : String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

/** `deltaCiLowPct` → `delta_ci_low_pct`; `flaggedReplicates` → `flagged_replicates` */
export const csvColumn = (field: string): string => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** A value as a CSV cell: a list `;`-separated. */
export const csvValue = (v: unknown): unknown => (Array.isArray(v) ? v.join(';') : v);

/** Records as CSV: the first record's fields are the columns (snake_case), in their order. */
export function recordsToCsv(records: ReadonlyArray<Record<string, unknown>>): string {
  const fields = Object.keys(records[0] ?? {});
  return toCsv(
    fields.map(csvColumn),
    records.map((r) => fields.map((f) => csvValue(r[f]))),
  );
}
