import { spawn } from 'node:child_process';
import { RunnerError, RunnerErrorCode } from './runner.error.js';

export interface SpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Called with each complete stdout line as it arrives (progress reporting). */
  onStdoutLine?: (line: string) => void;
}

export interface SpawnResult {
  stdout: string;
  stderr: string;
}

const TAIL_CHARS = 2_000;
const tail = (s: string) => (s.length > TAIL_CHARS ? `…${s.slice(-TAIL_CHARS)}` : s).trim();

/** Runs external programs (adb, vendor benchmark tools). The one place runners spawn processes. */
export class ProcessSpawner {
  /** Resolves with the output of a zero exit; rejects with a RunnerError naming the command otherwise. */
  run(file: string, args: readonly string[], options: SpawnOptions = {}): Promise<SpawnResult> {
    const shown = [file, ...args].join(' ');
    return new Promise((resolve, reject) => {
      options.signal?.throwIfAborted();
      const child = spawn(file, args, {
        cwd: options.cwd,
        env: options.env,
        signal: options.signal,
        timeout: options.timeoutMs,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      let pending = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        if (!options.onStdoutLine) return;
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) options.onStdoutLine(line);
      });
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      child.on('error', (err) => {
        if (err.name === 'AbortError') reject(err);
        else reject(new RunnerError(RunnerErrorCode.CommandFailed, `${shown}: ${err.message}`));
      });
      child.on('close', (code, sig) => {
        if (pending && options.onStdoutLine) options.onStdoutLine(pending);
        if (options.signal?.aborted) return reject(options.signal.reason ?? new Error('aborted'));
        if (code === 0) return resolve({ stdout, stderr });
        const why = sig ? `killed by ${sig}${options.timeoutMs ? ` (timeout ${options.timeoutMs} ms)` : ''}` : `exit code ${code}`;
        reject(new RunnerError(RunnerErrorCode.CommandFailed, `${shown}: ${why}\n${tail(stderr) || tail(stdout)}`));
      });
    });
  }
}
