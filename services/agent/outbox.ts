import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, type LatfleetConfig } from '../lib/config/index.js';
import type { UploadResultsRequest } from '../lib/proto/index.js';

export interface OutboxEntry {
  key: string;
  parts: UploadResultsRequest[];
}

/**
 * Results on local disk between measurement and acknowledgement: written (atomically) before the
 * upload starts, removed only after the control plane acknowledged them.
 */
@Injectable()
export class Outbox {
  private readonly dir: string;

  constructor(@Inject(CONFIG) config: LatfleetConfig) {
    this.dir = join(config.dataDir, 'agent', 'outbox');
    mkdirSync(this.dir, { recursive: true });
  }

  put(parts: UploadResultsRequest[]): OutboxEntry {
    const first = parts[0]!;
    const key = `${first.jobId}-${first.attempt}`;
    const file = join(this.dir, `${key}.json`);
    writeFileSync(`${file}.part`, JSON.stringify(parts));
    renameSync(`${file}.part`, file);
    return { key, parts };
  }

  pending(): OutboxEntry[] {
    return readdirSync(this.dir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => ({ key: f.slice(0, -5), parts: JSON.parse(readFileSync(join(this.dir, f), 'utf8')) as UploadResultsRequest[] }));
  }

  remove(key: string): void {
    rmSync(join(this.dir, `${key}.json`), { force: true });
  }
}
