// Shared by the benchmark scripts: plain Node ESM over the built code (npm run build first).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { OrtNodeRunner } from '../../dist/agent/ort-node.runner.js';
import { LocalFleet, localSecret } from '../../dist/cli/fleet.js';
import { loadConfig } from '../../dist/lib/config/index.js';
import { buildVariant } from '../../dist/lib/models/index.js';

export { ort };

export function machine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown';
  let affinity = 'unknown';
  try {
    affinity = execFileSync('taskset', ['-cp', String(process.pid)], { encoding: 'utf8' }).trim().split(': ').at(-1);
  } catch {}
  return {
    nproc: execFileSync('nproc', ['--all'], { encoding: 'utf8' }).trim(),
    cpuModel: model,
    node: process.version,
    onnxruntime: ort.env.versions.node ?? 'unknown',
    kernel: `${os.type()} ${os.release()}`,
    affinity,
    loadAverage: os.loadavg().map((l) => l.toFixed(2)).join(' '),
  };
}

/** A built variant written to a temp file, with the job a runner needs. */
export function variantJob(name, protocol) {
  const built = buildVariant(name);
  const dir = mkdtempSync(join(os.tmpdir(), 'latfleet-bench-'));
  const modelPath = join(dir, 'model.onnx');
  writeFileSync(modelPath, built.onnx);
  return {
    built,
    job: (p = protocol) => ({ modelPath, inputName: built.inputName, inputShape: built.inputShape, protocol: { intraOpThreads: 1, interOpThreads: 1, ...p } }),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export const runner = () => new OrtNodeRunner({ agentCore: -1 });
export const never = new AbortController().signal;
export const noProgress = () => undefined;

/** The same input the runner feeds. */
export function runnerInput(shape) {
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = ((i * 7919) % 255) / 255 - 0.5;
  return data;
}

export const SESSION_OPTIONS = { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' };

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function meanStd(values) {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1));
  return { mean, std, cv: std / mean };
}

export const ms = (ns) => (ns / 1e6).toFixed(4);
export const pct = (f, digits = 2) => `${(f * 100).toFixed(digits)}%`;

/** Waits (at most `maxSeconds`) for the 1-minute load average to fall below `below`; returns what it saw. */
export async function waitForQuiet(below = 1, maxSeconds = 300) {
  const start = Date.now();
  while (os.loadavg()[0] >= below && Date.now() - start < maxSeconds * 1000) await new Promise((r) => setTimeout(r, 5000));
  return { waitedSeconds: Math.round((Date.now() - start) / 1000), loadAverage1m: os.loadavg()[0] };
}

/** A local fleet of the benchmark's own (data in `dataDir`; Postgres, gRPC and HTTP on base, base + 1, base + 2) and a JSON client of its API. */
export function benchFleet(dataDir, base) {
  const config = loadConfig({
    ...process.env,
    LATFLEET_DATA_DIR: dataDir,
    LATFLEET_PG_PORT: String(base),
    LATFLEET_GRPC_PORT: String(base + 1),
    LATFLEET_HTTP_PORT: String(base + 2),
  });
  const url = `http://${config.httpHost}:${config.httpPort}`;
  async function http(method, path, body) {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${localSecret(dataDir, 'api-key')}` },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 500)}`);
    return JSON.parse(text);
  }
  return { config, fleet: new LocalFleet(config), http };
}
