import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type ServiceName = 'control' | 'query' | 'agent';

export interface ServiceProcess {
  /** Label in logs and messages, e.g. `control-a` or `agent-1`. */
  readonly label: string;
  readonly pid: number;
  readonly logFile: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
  kill(signal: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
  logTail(lines?: number): string;
}

const running = new Set<ServiceProcess>();
process.on('exit', () => {
  for (const p of running) if (p.alive()) process.kill(p.pid, 'SIGKILL');
});

/**
 * `dist/<service>/main.js`: the tests run the built processes, as `latfleet up` does.
 * LATFLEET_TEST_DIST points at another build (e.g. one in a worktree) to compare against.
 */
export function distEntry(service: ServiceName): string {
  const dist = process.env['LATFLEET_TEST_DIST'] ?? fileURLToPath(new URL('../../dist', import.meta.url));
  const path = join(dist, service, 'main.js');
  if (!existsSync(path)) throw new Error(`${path} not found: run \`npm run build\` first`);
  return path;
}

/** The parent's environment without any latfleet setting, so only what a test passes applies. */
function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('LATFLEET_') && k !== 'DATABASE_URL') env[k] = v;
  return env;
}

/**
 * Starts one latfleet process from dist/ with its output appended to `<logDir>/<label>.log`.
 * `wrapper` runs it under another command (e.g. `ip netns exec NAME`), which must exec it in place.
 */
export function spawnService(service: ServiceName, opts: { label: string; env: Record<string, string>; logDir: string; wrapper?: string[] }): ServiceProcess {
  mkdirSync(opts.logDir, { recursive: true });
  const logFile = join(opts.logDir, `${opts.label}.log`);
  const fd = openSync(logFile, 'a');
  const argv = [...(opts.wrapper ?? []), process.execPath, '--enable-source-maps', distEntry(service)];
  const child = spawn(argv[0]!, argv.slice(1), { env: { ...baseEnv(), ...opts.env }, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  let gone = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      gone = true;
      running.delete(handle);
      resolve({ code, signal });
    }),
  );
  const handle: ServiceProcess = {
    label: opts.label,
    pid: child.pid!,
    logFile,
    exited,
    alive: () => !gone,
    kill: (signal) => {
      if (!gone) child.kill(signal);
    },
    stop: async (graceMs = 10_000) => {
      if (gone) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    logTail: (lines = 40) => {
      try {
        return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
      } catch {
        return '';
      }
    },
  };
  running.add(handle);
  return handle;
}
