import { Injectable } from '@nestjs/common';
import { LatfleetError } from '../lib/errors/index.js';
import { variantName } from '../lib/models/index.js';
import type { AccuracyListQuery, CreateAccuracyBody } from './accuracy.dto.js';
import { AccuracyRepository, type AccuracyRow } from './accuracy.repository.js';
import type { Page } from './pagination.dto.js';

@Injectable()
export class AccuracyService {
  constructor(private readonly accuracies: AccuracyRepository) {}

  /** A model name is stored in its canonical form, so `mobilenetv3-large` and `mobilenetv3-large-1.0` are one model. */
  async create(body: CreateAccuracyBody): Promise<AccuracyRow> {
    if (body.variantId !== undefined && !(await this.accuracies.variantExists(body.variantId))) {
      throw LatfleetError.notFound('variant', body.variantId);
    }
    return this.accuracies.create({
      model: body.model === undefined ? null : canonicalModel(body.model),
      variantId: body.variantId ?? null,
      top1: body.top1,
      top5: body.top5 ?? null,
      dataset: body.dataset,
      source: body.source,
    });
  }

  list(q: AccuracyListQuery): Promise<Page<AccuracyRow>> {
    return this.accuracies.list({ ...q, model: q.model === undefined ? undefined : canonicalModel(q.model) });
  }
}

function canonicalModel(name: string): string {
  try {
    return variantName(name);
  } catch (err) {
    throw LatfleetError.validation('model', (err as Error).message);
  }
}
