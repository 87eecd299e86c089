#!/usr/bin/env node
import 'reflect-metadata';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { ConfigError, loadConfig } from '../lib/config/index.js';
import { ApiClient, ApiError } from './api.client.js';
import { LocalFleet } from './fleet.js';
import type { Format } from './render.js';
import { readStudyInput } from './study-input.js';
import { describeRounds, waitForStudy } from './study-progress.js';
import { collapsedNote, planStudy, renderStudyPlan } from './study-describe.js';
import { parseStudySpec, type StudySpec } from '../lib/models/index.js';
import { registerCompareCommand, renderStudyResult } from './compare.command.js';
import { registerLayersCommand } from './layers.command.js';
import { registerPlotCommand } from './plot.command.js';
import { registerPredictCommand } from './predict.command.js';
import { registerModelCommands } from './models.command.js';

// `latfleet … | head` closes our stdout early: that is the reader's choice, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const formatOption = () => new Option('-f, --format <format>', 'output format').choices(['table', 'json', 'csv']).default('table');
const say = (line: string) => process.stderr.write(`${line}\n`);

/** The query service's API; the key comes from LATFLEET_API_KEY, else the local fleet's data dir. */
function api(opts: { url?: string }): ApiClient {
  const config = loadConfig();
  const localKey = join(config.dataDir, 'api-key');
  const key = config.apiKey ?? (existsSync(localKey) ? readFileSync(localKey, 'utf8').trim() : undefined);
  return new ApiClient(opts.url ?? `http://${config.httpHost}:${config.httpPort}`, key);
}

const program = new Command('latfleet')
  .description(
    'Measure how fast CNN variants really run, layer by layer, on phones, NPU boards and CPUs.\n' +
      'Configuration comes from the environment (LATFLEET_*, DATABASE_URL): see the README.',
  )
  .version('0.1.0')
  .showHelpAfterError();

program
  .command('up')
  .description('start the local fleet (Postgres, control, query, one CPU agent), run a study, keep serving until Ctrl-C')
  .option('-s, --study <name-or-file>', 'study to run once the fleet is up (built-in name or JSON/YAML file)', 'demo')
  .option('--no-study', 'start the fleet without running a study')
  .option('--exit-when-done', 'shut down after the study instead of serving until Ctrl-C')
  .option('--litert', 'the CPU agent also runs TFLite, through LiteRT (one device running onnx and tflite: a format axis gets paired Δs)')
  .addOption(formatOption())
  .action(async (opts: { study: string | false; exitWhenDone?: boolean; litert?: boolean; format: Format }) => {
    const config = loadConfig();
    const spec = opts.study ? readStudyInput(opts.study) : undefined;
    const fleet = new LocalFleet(opts.litert ? { ...config, agentRunner: 'ort-node+litert' } : config);
    let exitCode = 0;
    const shutdown = async (code: number) => {
      exitCode = code;
      say('\nlatfleet: stopping agent, query, control and Postgres…');
      await fleet.stop();
      say('latfleet: stopped');
      process.exit(exitCode);
    };
    process.once('SIGINT', () => void shutdown(0));
    process.once('SIGTERM', () => void shutdown(0));
    fleet.onUnexpectedExit = (name, code) => {
      say(`latfleet: ${name} exited unexpectedly (code ${code}); see ${fleet.logDir}/${name}.log`);
      void shutdown(1);
    };
    try {
      await fleet.start(say);
      if (spec) {
        const started = Date.now();
        const study = await fleet.api.createStudy(spec);
        say(`study ${study.name} (${study.id}): ${study.variants.length} variants${collapsedNote(study.spec as StudySpec)}, baseline ${study.baselineLabel}`);
        const done = await waitForStudy(fleet.api, study.id);
        say(`study ${done.status} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        for (const line of describeRounds(done.rounds)) say(line);
        process.stdout.write(await renderStudyResult(fleet.api, study.id, opts.format));
        say(`comparison: ${fleet.api.baseUrl}/api/v1/studies/${study.id}/comparison`);
        say(`study page (table and figures): ${fleet.api.baseUrl}/studies/${study.id}`);
        if (done.status !== 'completed') exitCode = 1;
      }
      if (opts.exitWhenDone) return void (await shutdown(exitCode));
      say(`serving on ${fleet.api.baseUrl} (metrics at /metrics); Ctrl-C stops everything`);
    } catch (err) {
      say(`latfleet up: ${(err as Error).message}`);
      await shutdown(1);
    }
  });

const study = program.command('study').description('create, list and inspect studies');
study
  .command('run <spec>')
  .description('submit a study (built-in name or JSON/YAML file), wait for it and print the comparison')
  .option('--url <url>', 'query service URL')
  .option('--no-wait', 'return once the study is queued')
  .addOption(formatOption())
  .action(async (arg: string, opts: { url?: string; wait: boolean; format: Format }) => {
    const client = api(opts);
    const created = await client.createStudy(readStudyInput(arg));
    say(`study ${created.name} (${created.id}) queued: ${created.variants.length} variants${collapsedNote(created.spec as StudySpec)}`);
    if (!opts.wait) return void process.stdout.write(`${created.id}\n`);
    const done = await waitForStudy(client, created.id);
    for (const line of describeRounds(done.rounds)) say(line);
    process.stdout.write(await renderStudyResult(client, created.id, opts.format));
    if (done.status !== 'completed') process.exitCode = 1;
  });
study
  .command('describe <spec>')
  .description('what a study (built-in name or JSON/YAML file) would run, before it runs: variants with MAdds and params, merged combinations, jobs, estimated device time')
  .option('--json', 'JSON output')
  .action((arg: string, opts: { json?: boolean }) => {
    const plan = planStudy(parseStudySpec(readStudyInput(arg)));
    process.stdout.write(opts.json ? JSON.stringify(plan, null, 2) + '\n' : renderStudyPlan(plan));
  });
study
  .command('cancel <id>')
  .description('cancel a study: queued jobs never run, running ones are aborted; stored results stay')
  .option('--url <url>', 'query service URL')
  .action(async (id: string, opts: { url?: string }) => {
    const res = await api(opts).cancelStudy(id);
    process.stdout.write(`study ${res.id} cancelled (${res.abortedJobs} running job(s) aborted)\n`);
  });
study
  .command('list')
  .description('recent studies')
  .option('--url <url>', 'query service URL')
  .option('--json', 'JSON output')
  .action(async (opts: { url?: string; json?: boolean }) => {
    const { items } = await api(opts).studies();
    if (opts.json) return void process.stdout.write(JSON.stringify(items, null, 2) + '\n');
    for (const s of items) process.stdout.write(`${s.id}  ${s.status.padEnd(9)} ${s.name}  (${s.jobs.completed}/${Object.values(s.jobs).reduce((a, b) => a + b, 0)} jobs)\n`);
  });
study
  .command('show <id>')
  .description('a study with its variants and jobs (JSON)')
  .option('--url <url>', 'query service URL')
  .action(async (id: string, opts: { url?: string }) => {
    process.stdout.write(JSON.stringify(await api(opts).study(id), null, 2) + '\n');
  });

registerCompareCommand(program, api);

registerLayersCommand(program, api);

registerPlotCommand(program, api);

registerPredictCommand(program, api);

const devices = program
  .command('devices')
  .description('registered devices and whether their agent is online; `devices revoke` cuts one off')
  .option('--url <url>', 'query service URL')
  .option('--json', 'JSON output')
  .action(async (opts: { url?: string; json?: boolean }) => {
    const { items } = await api(opts).devices();
    if (opts.json) return void process.stdout.write(JSON.stringify(items, null, 2) + '\n');
    for (const d of items)
      process.stdout.write(`${d.state.padEnd(8)} ${d.name}  ${d.deviceClass}  ${d.cpuModel}  ${d.runner} ${d.runtimeVersion}  formats: ${d.formats.join(', ')}\n`);
  });
devices
  .command('revoke <device>')
  .description(
    'revoke a device (name or id): its agent is refused from its next call or heartbeat and its jobs go back to the queue; ' +
      'its results stay, and the name may be registered again with an enrollment token (revoke the token too to keep the agent out)',
  )
  .option('--url <url>', 'query service URL')
  .action(async (ref: string, opts: { url?: string }) => {
    const d = await api(opts).revokeDevice(ref);
    process.stdout.write(`${d.name} (${d.id}) revoked${d.wasEnrolled ? '' : ' (it already was)'}\n`);
  });

const enroll = program.command('enroll').description('enrollment tokens that let new agents register');
enroll
  .command('create')
  .description('create a token (shown once) for agents to pass as LATFLEET_ENROLLMENT_TOKEN')
  .option('--name <name>', 'what the token is for', 'agents')
  .option('--ttl-hours <hours>', 'expiry in hours; 0 = never', '24')
  .option('--url <url>', 'query service URL')
  .action(async (opts: { name: string; ttlHours: string; url?: string }) => {
    const ttl = Number(opts.ttlHours);
    if (!Number.isFinite(ttl) || ttl < 0) throw new Error(`--ttl-hours ${opts.ttlHours}: expected a number of hours ≥ 0`);
    const t = await api(opts).createEnrollmentToken(opts.name, ttl === 0 ? null : ttl);
    say(`token ${t.id} (${opts.name}), expires ${t.expiresAt ?? 'never'}; it is shown only now:`);
    process.stdout.write(`${t.token}\n`);
  });
enroll
  .command('list')
  .description('tokens (never their secrets)')
  .option('--url <url>', 'query service URL')
  .action(async (opts: { url?: string }) => {
    for (const t of (await api(opts).enrollmentTokens()).items) {
      const state = t.revokedAt ? 'revoked' : t.expiresAt && new Date(t.expiresAt) < new Date() ? 'expired' : 'active';
      process.stdout.write(`${t.id}  ${state.padEnd(8)} ${t.name}  expires ${t.expiresAt ?? 'never'}\n`);
    }
  });
enroll
  .command('revoke <id>')
  .description('revoke a token; agents already registered keep their credentials')
  .option('--url <url>', 'query service URL')
  .action(async (id: string, opts: { url?: string }) => {
    await api(opts).revokeEnrollmentToken(id);
    process.stdout.write(`token ${id} revoked\n`);
  });

registerModelCommands(program, api);

for (const name of ['control', 'query', 'agent'] as const) {
  program
    .command(name)
    .description(`run the ${name} process alone (configured from the environment)`)
    .action(async () => {
      await import(`../${name}/main.js`).then((m: Record<string, (c: ReturnType<typeof loadConfig>) => Promise<unknown>>) =>
        m[`start${name[0]!.toUpperCase()}${name.slice(1)}`]!(loadConfig()),
      );
    });
}

program.parseAsync().catch((err: unknown) => {
  if (err instanceof ApiError) say(`error: ${err.message}${err.status ? ` (HTTP ${err.status})` : ''}`);
  else if (err instanceof ConfigError) say(err.message);
  else say(`error: ${(err as Error).message}`);
  process.exit(1);
});
