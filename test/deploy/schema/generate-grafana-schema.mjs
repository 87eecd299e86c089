// Regenerates grafana-dashboard.schema.json: JSON schemas of Grafana's dashboard model and of the
// options of the panel types our dashboards use, made from @grafana/schema's TypeScript types (the
// types Grafana generates from its CUE kinds) with ts-json-schema-generator. Both tools are
// installed into a temporary directory, so they are not dependencies of the project.
//
//   node test/deploy/schema/generate-grafana-schema.mjs [GRAFANA_VERSION]
//
// Bump the version here, in deploy/compose.yaml and in docs/dashboards.md together.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const GRAFANA_VERSION = process.argv[2] ?? '13.2.3';
// 2.4.0 is the last release that runs on Node 20.
const GENERATOR_VERSION = '2.4.0';
const PANEL_TYPES = ['timeseries', 'stat', 'table', 'barchart', 'bargauge', 'xychart', 'text'];

const dir = mkdtempSync(join(tmpdir(), 'grafana-schema-'));
try {
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'grafana-schema-gen', private: true }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', `@grafana/schema@${GRAFANA_VERSION}`, `ts-json-schema-generator@${GENERATOR_VERSION}`], {
    cwd: dir,
    stdio: 'inherit',
  });
  // One entry file with a unique alias per type, compiled without ambient @types: createSchema
  // looks a type up by name across the whole program, and many packages export an `Options`.
  const raw = './node_modules/@grafana/schema/dist/types/raw';
  const alias = (type) => type[0].toUpperCase() + type.slice(1);
  const lines = [`import type { Dashboard } from '${raw}/dashboard/x/types.gen';`, 'export type DashboardModel = Dashboard;'];
  for (const type of PANEL_TYPES) {
    for (const name of type === 'text' ? ['Options'] : ['Options', 'FieldConfig']) {
      lines.push(`import type { ${name} as ${alias(type)}${name}Type } from '${raw}/composable/${type}/panelcfg/x/types.gen';`);
      lines.push(`export type ${alias(type)}${name} = ${alias(type)}${name}Type;`);
    }
  }
  writeFileSync(join(dir, 'entry.ts'), lines.join('\n') + '\n');
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { types: [], skipLibCheck: true, strict: true }, files: ['entry.ts'] }));
  const require = createRequire(join(dir, 'package.json'));
  const { createGenerator } = require('ts-json-schema-generator');
  // additionalProperties: false makes a misspelt key an error instead of a silently ignored option.
  const generator = createGenerator({
    path: join(dir, 'entry.ts'),
    tsconfig: join(dir, 'tsconfig.json'),
    type: '*',
    skipTypeCheck: true,
    additionalProperties: false,
    jsDoc: 'none',
    expose: 'export',
    topRef: true,
  });
  const schemaOf = (name) => generator.createSchema(name);

  const panels = {};
  for (const type of PANEL_TYPES) {
    panels[type] = { options: schemaOf(`${alias(type)}Options`) };
    if (type !== 'text') panels[type].fieldConfig = schemaOf(`${alias(type)}FieldConfig`);
  }
  const out = {
    grafanaVersion: GRAFANA_VERSION,
    source: `@grafana/schema@${GRAFANA_VERSION} dist/types/raw (dashboard/x, composable/<panel>/panelcfg/x), ts-json-schema-generator@${GENERATOR_VERSION}`,
    dashboard: schemaOf('DashboardModel'),
    panels,
  };
  const target = new URL('./grafana-dashboard.schema.json', import.meta.url);
  writeFileSync(target, JSON.stringify(out, null, 1) + '\n');
  process.stdout.write(`wrote ${target.pathname}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
