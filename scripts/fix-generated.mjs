// ts-proto imports message interfaces as values; with verbatimModuleSyntax they must be type-only.
// Marks every imported name that its source file declares as an interface with `type`.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const root = resolve(process.argv[2] ?? resolve(import.meta.dirname, '../services/lib/proto/gen'));

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

for (const file of walk(root)) {
  const text = readFileSync(file, 'utf8');
  const fixed = text.replace(/^import \{ ([^}]+) \} from "(\.[^"]+)\.js";$/gm, (_, names, rel) => {
    const source = readFileSync(join(dirname(file), `${rel}.ts`), 'utf8');
    const parts = names.split(',').map((n) => n.trim()).map((n) =>
      new RegExp(`^export interface ${n}\\b`, 'm').test(source) ? `type ${n}` : n,
    );
    return `import { ${parts.join(', ')} } from "${rel}.js";`;
  });
  if (fixed !== text) writeFileSync(file, fixed);
}
