// Build step after swc: keeps dist/ self-describing for ESM and makes the package's bin executable
// (`npx latfleet` runs dist/cli/main.js itself; swc writes it without the execute bit).
import { chmodSync, writeFileSync } from 'node:fs';
writeFileSync(new URL('../dist/package.json', import.meta.url), JSON.stringify({ type: 'module' }) + '\n');
chmodSync(new URL('../dist/cli/main.js', import.meta.url), 0o755);
