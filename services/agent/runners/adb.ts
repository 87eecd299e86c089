import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import type { ProcessSpawner, SpawnOptions } from './process-spawner.js';
import { shellJoin } from './shell-quote.js';

/** Limit for quick device commands (listings, hashes, clean-up): a phone that went away must not hold a job for the long-run timeout. */
export const HOUSEKEEPING_MS = 60_000;

export interface FileToSync {
  local: string;
  remote: string;
  mode?: string;
}

/** One phone behind `adb -s SERIAL`. Every device command goes through here. */
export class Adb {
  private readonly hashes = new Map<string, { key: string; sha256: string }>();

  constructor(
    private readonly spawner: ProcessSpawner,
    readonly adbPath: string,
    readonly serial: string,
    private readonly timeoutMs: number,
  ) {}

  /** Runs one command line in the device's shell; resolves with its stdout (exit status of the remote command, adb ≥ 7). */
  async shell(command: string, options: Pick<SpawnOptions, 'signal' | 'onStdoutLine' | 'timeoutMs'> = {}): Promise<string> {
    const { stdout } = await this.spawner.run(this.adbPath, ['-s', this.serial, 'shell', command], { timeoutMs: this.timeoutMs, ...options });
    return stdout;
  }

  async push(local: string, remote: string, signal?: AbortSignal): Promise<void> {
    await this.spawner.run(this.adbPath, ['-s', this.serial, 'push', local, remote], { signal, timeoutMs: this.timeoutMs });
  }

  async pull(remote: string, local: string, signal?: AbortSignal): Promise<void> {
    await this.spawner.run(this.adbPath, ['-s', this.serial, 'pull', remote, local], { signal, timeoutMs: this.timeoutMs });
  }

  /**
   * Pushes the files whose device copy is missing or differs (sha256, one `sha256sum` call for all),
   * then sets the requested modes. Returns the remote paths it pushed.
   */
  async sync(files: readonly FileToSync[], signal?: AbortSignal): Promise<string[]> {
    const wanted = await Promise.all(files.map(async (f) => ({ ...f, sha256: await this.localSha256(f.local) })));
    const listing = await this.shell(`${shellJoin(['sha256sum', ...wanted.map((f) => f.remote)])} 2>/dev/null; true`, { signal, timeoutMs: HOUSEKEEPING_MS });
    const onDevice = new Map<string, string>();
    for (const m of listing.matchAll(/^([0-9a-f]{64})\s+\*?(.+?)\s*$/gm)) onDevice.set(m[2]!, m[1]!);
    const stale = wanted.filter((f) => onDevice.get(f.remote) !== f.sha256);
    // adb push creates missing parent directories on the device.
    for (const f of stale) await this.push(f.local, f.remote, signal);
    const chmods = stale.filter((f) => f.mode).map((f) => shellJoin(['chmod', f.mode!, f.remote]));
    if (chmods.length) await this.shell(chmods.join(' && '), { signal, timeoutMs: HOUSEKEEPING_MS });
    return stale.map((f) => f.remote);
  }

  /** Hashes are cached by size and mtime: the perf_test binary is tens of MB and does not change between jobs. */
  async localSha256(path: string): Promise<string> {
    const st = statSync(path);
    const key = `${st.size}:${st.mtimeMs}`;
    const hit = this.hashes.get(path);
    if (hit?.key === key) return hit.sha256;
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
    const sha256 = hash.digest('hex');
    this.hashes.set(path, { key, sha256 });
    return sha256;
  }
}
