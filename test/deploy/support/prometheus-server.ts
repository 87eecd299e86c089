import { spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { pollUntil } from '../../support/poll-until.js';

export interface PromSample {
  metric: Record<string, string>;
  value?: [number, string];
  values?: Array<[number, string]>;
}

interface PromResponse<T> {
  status: 'success' | 'error';
  data: T;
  error?: string;
  errorType?: string;
}

/** A real Prometheus server (Debian's `prometheus` binary) on loopback, for one test file. */
export class PrometheusServer {
  private constructor(
    readonly url: string,
    private readonly stopProcess: () => Promise<void>,
    private readonly logFile: string,
  ) {}

  static async start(opts: { binary: string; configFile: string; dataDir: string; port: number; logFile: string }): Promise<PrometheusServer> {
    const log = createWriteStream(opts.logFile);
    const proc = spawn(
      opts.binary,
      [`--config.file=${opts.configFile}`, `--storage.tsdb.path=${opts.dataDir}`, `--web.listen-address=127.0.0.1:${opts.port}`, '--log.level=warn'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    proc.stdout.pipe(log);
    proc.stderr.pipe(log);
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    const stop = async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const killer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    };
    const server = new PrometheusServer(`http://127.0.0.1:${opts.port}`, stop, opts.logFile);
    try {
      await pollUntil(
        async () => {
          if (proc.exitCode !== null) throw new Error(`prometheus exited with ${proc.exitCode}: ${server.logTail()}`);
          return (await fetch(`${server.url}/-/ready`)).ok;
        },
        { what: 'prometheus ready', timeoutMs: 30_000, intervalMs: 200 },
      );
    } catch (err) {
      await stop();
      throw err;
    }
    return server;
  }

  logTail(): string {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-20).join('\n');
    } catch {
      return '';
    }
  }

  private async api<T>(path: string, params: Record<string, string>): Promise<T> {
    const res = await fetch(`${this.url}/api/v1/${path}?${new URLSearchParams(params)}`);
    const body = (await res.json()) as PromResponse<T>;
    if (body.status !== 'success') throw new Error(`prometheus ${path} ${JSON.stringify(params)}: ${body.errorType}: ${body.error}`);
    return body.data;
  }

  async instant(expr: string, time = new Date()): Promise<PromSample[]> {
    const data = await this.api<{ resultType: string; result: PromSample[] }>('query', { query: expr, time: String(time.getTime() / 1000) });
    return data.result;
  }

  async range(expr: string, start: Date, end: Date, stepSeconds: number): Promise<PromSample[]> {
    const data = await this.api<{ result: PromSample[] }>('query_range', {
      query: expr,
      start: String(start.getTime() / 1000),
      end: String(end.getTime() / 1000),
      step: String(stepSeconds),
    });
    return data.result;
  }

  async rules(): Promise<Array<{ name: string; rules: Array<{ name: string; health: string; lastError?: string; type: string }> }>> {
    return (await this.api<{ groups: Array<{ name: string; rules: Array<{ name: string; health: string; lastError?: string; type: string }> }> }>('rules', {})).groups;
  }

  stop(): Promise<void> {
    return this.stopProcess();
  }
}
