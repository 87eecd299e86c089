import type pg from 'pg';

/**
 * A digest of every stored row, table by table (bytea columns left out: model bytes are large and
 * never written by a request the fuzzer sends), to check that a rejected request changed nothing.
 */
export class RowSnapshot {
  private constructor(private readonly sql: string) {}

  static async of(db: pg.Pool, ignore: Record<string, string[]> = {}, ignoreTables: string[] = []): Promise<RowSnapshot> {
    const { rows } = await db.query<{ table_name: string; columns: string[] }>(
      `SELECT c.table_name, array_agg(quote_ident(c.column_name) ORDER BY c.ordinal_position) AS columns
         FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name)
        WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' AND c.data_type <> 'bytea'
        GROUP BY c.table_name ORDER BY c.table_name`,
    );
    const parts = rows
      .filter((r) => !ignoreTables.includes(r.table_name))
      .map(({ table_name: table, columns }) => {
        const kept = columns.filter((c) => !(ignore[table] ?? []).includes(c.replaceAll('"', '')));
        return `SELECT ${quote(table)} AS t, count(*)::int AS n, md5(coalesce(string_agg(x.r, E'\\n' ORDER BY x.r), '')) AS h
                FROM (SELECT ROW(${kept.join(', ')})::text AS r FROM ${quoteIdent(table)}) x`;
      });
    return new RowSnapshot(parts.join(' UNION ALL '));
  }

  async take(db: pg.Pool): Promise<Map<string, string>> {
    const { rows } = await db.query<{ t: string; n: number; h: string }>(this.sql);
    return new Map(rows.map((r) => [r.t, `${r.n}:${r.h}`]));
  }

  /** Tables whose rows differ between two snapshots. */
  static changed(before: Map<string, string>, after: Map<string, string>): string[] {
    return [...new Set([...before.keys(), ...after.keys()])].filter((t) => before.get(t) !== after.get(t));
  }
}

const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;
const quoteIdent = (s: string) => `"${s.replaceAll('"', '""')}"`;
