// The npm registry this project installs from serves only the Linux builds of some platform
// packages (@swc/core-*, @bufbuild/buf-*). npm then leaves the other platforms' optional
// dependencies out of package-lock.json, and `npm ci` refuses the lock ("Missing: … from lock
// file"). This records each missing one as an optional entry for its own os/cpu, which npm skips
// on every other platform without fetching it. Run after changing dependencies:
//   node scripts/lock-platform-stubs.mjs
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const CPU = { arm64: 'arm64', aarch64: 'arm64', x64: 'x64', armv7: 'arm', arm: 'arm', ia32: 'ia32', ppc64: 'ppc64', s390x: 's390x' };
const OS = { darwin: 'darwin', linux: 'linux', win32: 'win32' };

let added = 0;
for (const [path, pkg] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(pkg.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (lock.packages[key]) continue;
    const m = /-(darwin|linux|win32)-(arm64|aarch64|x64|armv7|arm|ia32|ppc64|s390x)(?:-|$)/.exec(name);
    if (!m) {
      console.error(`${name} (optional dependency of ${path || 'the root'}) is missing and is not a platform package`);
      process.exitCode = 1;
      continue;
    }
    lock.packages[key] = { version, dev: pkg.dev, optional: true, os: [OS[m[1]]], cpu: [CPU[m[2]]] };
    if (!pkg.dev) delete lock.packages[key].dev;
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)),
);
writeFileSync(file, JSON.stringify(lock, null, 2) + '\n');
console.log(`${added} platform entries recorded`);
