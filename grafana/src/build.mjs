// Writes grafana/dashboards/<name>.json from the dashboard definitions beside this file.
//   node grafana/src/build.mjs          write the files
//   node grafana/src/build.mjs --check  exit 1 when a file differs from what would be written
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ablations from './ablations.mjs';
import fleet from './fleet.mjs';
import layers from './layers.mjs';
import pareto from './pareto.mjs';
import study from './study.mjs';

export const DASHBOARDS = { fleet, study, layers, ablations, pareto };

export const dashboardFile = (name) => fileURLToPath(new URL(`../dashboards/${name}.json`, import.meta.url));
export const render = (dashboard) => JSON.stringify(dashboard, null, 2) + '\n';

if (import.meta.url === `file://${process.argv[1]}`) {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const [name, dashboard] of Object.entries(DASHBOARDS)) {
    const file = dashboardFile(name);
    let current = '';
    try {
      current = readFileSync(file, 'utf8');
    } catch {}
    if (current === render(dashboard)) continue;
    if (check) {
      stale++;
      process.stderr.write(`${file} is not what grafana/src/${name}.mjs makes: run node grafana/src/build.mjs\n`);
    } else {
      writeFileSync(file, render(dashboard));
      process.stdout.write(`wrote ${file}\n`);
    }
  }
  process.exitCode = stale ? 1 : 0;
}
