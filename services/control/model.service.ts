import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, type LatfleetConfig } from '../lib/config/index.js';
import { ErrorCode, LatfleetError } from '../lib/errors/index.js';
import type { FetchModelResponse } from '../lib/proto/index.js';
import { JobRepository } from './job.repository.js';
import { ModelBytesCache, type ModelBytesHold } from './model-bytes.cache.js';
import { ModelRepository } from './model.repository.js';

const CHUNK_BYTES = 1 << 20;

/**
 * Model distribution: an agent gets a model only for a job leased to it. A model is read from
 * Postgres whole once however many agents fetch it at a time, when the cache has room for it
 * (counting loads in flight and buffers still streaming); otherwise it is read a chunk at a time,
 * so that memory stays bounded whatever the number of models fetched at once.
 */
@Injectable()
export class ModelService {
  private readonly cache: ModelBytesCache;

  constructor(
    @Inject(CONFIG) config: LatfleetConfig,
    private readonly models: ModelRepository,
    private readonly jobs: JobRepository,
  ) {
    this.cache = new ModelBytesCache(config.modelCacheBytes);
  }

  /**
   * Checks the request, then yields the model's chunks in order (lazily: a slow reader holds little).
   * The caller must finish or `return()` the generator: that releases the model's bytes.
   */
  async *chunks(deviceId: string, sha256: string): AsyncGenerator<FetchModelResponse> {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw LatfleetError.validation('sha256', 'expected 64 lowercase hex digits');
    if (!(await this.jobs.modelLeasedToDevice(sha256, deviceId))) {
      throw new LatfleetError(ErrorCode.PermissionDenied, `model ${sha256} is not part of a job leased to this agent`);
    }
    const held = this.cache.hold(sha256);
    if (held) return yield* this.wholeChunks(await held);
    const size = await this.models.findSize(sha256);
    if (size === null) throw LatfleetError.notFound('model', sha256);
    const reserved = this.cache.acquire(sha256, size, () => this.loadWhole(sha256));
    if (reserved) return yield* this.wholeChunks(await reserved);
    for (let offset = 0; offset < size; offset += CHUNK_BYTES) {
      const data = await this.models.findSlice(sha256, offset, Math.min(CHUNK_BYTES, size - offset));
      if (data.length === 0) throw LatfleetError.notFound('model', sha256);
      yield { offset, data, totalSizeBytes: size };
    }
  }

  private async *wholeChunks(hold: ModelBytesHold): AsyncGenerator<FetchModelResponse> {
    try {
      const { data } = hold;
      for (let offset = 0; offset < data.length; offset += CHUNK_BYTES) {
        yield { offset, data: data.subarray(offset, offset + CHUNK_BYTES), totalSizeBytes: data.length };
      }
    } finally {
      hold.release();
    }
  }

  private async loadWhole(sha256: string): Promise<Buffer> {
    const data = await this.models.findBytes(sha256);
    if (!data) throw LatfleetError.notFound('model', sha256);
    return data;
  }
}
