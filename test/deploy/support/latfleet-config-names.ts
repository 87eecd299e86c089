import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './grafana-dashboards.js';

/**
 * The environment variables latfleet's processes read: every name services/lib/config/config.ts
 * mentions. Deployment files may set only these (a misspelt name would be silently ignored).
 */
export function latfleetConfigNames(): Set<string> {
  const source = readFileSync(join(REPO_ROOT, 'services/lib/config/config.ts'), 'utf8');
  return new Set([...source.matchAll(/\b(LATFLEET_[A-Z0-9_]+|DATABASE_URL)\b/g)].map((m) => m[1]!));
}
