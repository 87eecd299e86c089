import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { CONFIG, type LatfleetConfig } from '../lib/config/index.js';
import { ControlClient } from './control.client.js';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/**
 * A file's sha256, read as a stream: hashing a round's cached models in one synchronous read each
 * held the agent's event loop for over 15 s at the start of a round of 121 TFLite models (tens of
 * MB each), and control re-queued the round's jobs as lost (no heartbeat).
 */
async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
const FETCH_ATTEMPTS = 3;

/**
 * Models on local disk by content hash: fetched once, verified on every use, fetched again when a
 * transfer or a cached file is corrupt, least recently used evicted beyond the size limit.
 */
@Injectable()
export class ModelCache {
  private readonly logger = new Logger(ModelCache.name);
  private readonly dir: string;
  private readonly limitBytes: number;

  constructor(
    @Inject(CONFIG) config: LatfleetConfig,
    private readonly control: ControlClient,
  ) {
    this.dir = join(config.dataDir, 'agent', 'models');
    this.limitBytes = config.agentCacheBytes;
  }

  /** Path of the model, fetching it when absent or corrupt. */
  async get(hash: string): Promise<{ path: string; fetched: boolean }> {
    const path = join(this.dir, `${hash}.onnx`);
    if (existsSync(path)) {
      if ((await fileSha256(path)) === hash) {
        const now = new Date();
        utimesSync(path, now, now);
        return { path, fetched: false };
      }
      this.logger.warn(`cached model ${hash} is corrupt: fetching it again`);
      rmSync(path, { force: true });
    }
    for (let attempt = 1; ; attempt++) {
      const data = await this.control.fetchModel(hash);
      const got = sha256(data);
      if (got === hash) {
        mkdirSync(this.dir, { recursive: true });
        writeFileSync(`${path}.part`, data);
        renameSync(`${path}.part`, path);
        this.evict(path);
        return { path, fetched: true };
      }
      if (attempt >= FETCH_ATTEMPTS) throw new Error(`model ${hash}: ${attempt} transfers arrived corrupt (last hashed to ${got})`);
      this.logger.warn(`model ${hash}: transfer arrived corrupt (hashed to ${got}); fetching again`);
    }
  }

  /** Removes least recently used models until the cache fits its limit; never the one in use. */
  private evict(keep: string): void {
    const files = readdirSync(this.dir)
      .filter((f) => f.endsWith('.onnx'))
      .map((f) => {
        const p = join(this.dir, f);
        const st = statSync(p);
        return { p, size: st.size, used: st.mtimeMs };
      })
      .sort((a, b) => a.used - b.used);
    let total = files.reduce((a, f) => a + f.size, 0);
    for (const f of files) {
      if (total <= this.limitBytes) break;
      if (f.p === keep) continue;
      rmSync(f.p, { force: true });
      total -= f.size;
      this.logger.log(`evicted ${f.p} (cache limit ${Math.round(this.limitBytes / 1e6)} MB)`);
    }
  }
}
