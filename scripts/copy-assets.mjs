// Build step after swc: nothing to copy yet besides keeping dist/ self-describing for ESM.
import { writeFileSync } from 'node:fs';
writeFileSync(new URL('../dist/package.json', import.meta.url), JSON.stringify({ type: 'module' }) + '\n');
