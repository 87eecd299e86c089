// Copies the Compose Specification's JSON schema (compose-spec/compose-spec, Apache-2.0, as the npm
// package dclint ships it, current with Docker Compose v2) to compose-spec.schema.json, which the
// deploy tests validate deploy/compose.yaml against. The package is installed into a temporary
// directory only.
//   node test/deploy/schema/fetch-compose-spec.mjs
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PACKAGE = 'dclint@3.1.0';
const dir = mkdtempSync(join(tmpdir(), 'compose-spec-'));
try {
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'compose-spec-fetch', private: true }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', PACKAGE], { cwd: dir, stdio: 'inherit' });
  const target = new URL('./compose-spec.schema.json', import.meta.url);
  const schema = JSON.parse(readFileSync(join(dir, 'node_modules/dclint/schemas/compose.schema.json'), 'utf8'));
  // Ajv does not know the `$schema` URI as written (https, no trailing #) and refuses draft-04 style
  // `id` keywords; neither changes what the schema accepts, so both go.
  const normalise = (node) => {
    if (Array.isArray(node)) return node.map(normalise);
    if (node === null || typeof node !== 'object') return node;
    return Object.fromEntries(
      Object.entries(node)
        .filter(([k, v]) => !(k === '$schema' || (k === 'id' && typeof v === 'string' && (v.startsWith('#') || v.endsWith('.json')))))
        .map(([k, v]) => [k, normalise(v)]),
    );
  };
  const out = { $comment: `Compose Specification schema (draft-07) from ${PACKAGE} schemas/compose.schema.json; $schema removed`, ...normalise(schema) };
  writeFileSync(target, JSON.stringify(out, null, 1) + '\n');
  process.stdout.write(`wrote ${target.pathname} from ${PACKAGE}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
