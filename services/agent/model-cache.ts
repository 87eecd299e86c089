import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, type LatfleetConfig } from '../lib/config/index.js';
import { ControlClient } from './control.client.js';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Models on local disk by content hash; fetched once, verified on every use. */
@Injectable()
export class ModelCache {
  private readonly dir: string;

  constructor(
    @Inject(CONFIG) config: LatfleetConfig,
    private readonly control: ControlClient,
  ) {
    this.dir = join(config.dataDir, 'agent', 'models');
  }

  /** Path of the model, fetching it when absent or corrupt. */
  async get(hash: string): Promise<{ path: string; fetched: boolean }> {
    const path = join(this.dir, `${hash}.onnx`);
    if (existsSync(path) && sha256(readFileSync(path)) === hash) return { path, fetched: false };
    const data = await this.control.fetchModel(hash);
    const got = sha256(data);
    if (got !== hash) throw new Error(`model ${hash}: received bytes hash to ${got}`);
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(`${path}.part`, data);
    renameSync(`${path}.part`, path);
    return { path, fetched: true };
  }
}
