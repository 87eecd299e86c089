import { Controller, HttpCode, Param, Post } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { LatfleetError } from '../lib/errors/index.js';
import { cancelStudy } from '../lib/store/index.js';
import { IdPipe } from './uuid.pipe.js';

@Controller('api/v1/studies')
export class StudyCancelController {
  constructor(private readonly ds: DataSource) {}

  /** Queued jobs never run; running ones are aborted on their agents. Results already stored stay. */
  @Post(':id/cancel')
  @HttpCode(200)
  async cancel(@Param('id', new IdPipe('study')) id: string): Promise<{ id: string; status: 'cancelled'; abortedJobs: number }> {
    const aborted = await cancelStudy(this.ds, id);
    if (aborted === null) throw LatfleetError.notFound('study', id);
    return { id, status: 'cancelled', abortedJobs: aborted.length };
  }
}
