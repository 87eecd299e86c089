import { Controller, HttpCode, Param, Post } from '@nestjs/common';
import { StudyService } from './study.service.js';
import { IdPipe } from './uuid.pipe.js';
import { ApiRoute, NOT_FOUND, UNAUTHENTICATED } from './api-route.decorator.js';
import { cancelledStudy } from './contract.js';

@Controller('api/v1/studies')
export class StudyCancelController {
  constructor(private readonly studies: StudyService) {}

  /** Queued jobs never run; running ones are aborted on their agents. Results already stored stay. */
  @Post(':id/cancel')
  @HttpCode(200)
  @ApiRoute({
    tag: 'studies',
    summary: 'cancel a study: queued jobs never run, running ones are aborted; stored results stay',
    answer: cancelledStudy,
    ok: 'cancelled',
    errors: { ...UNAUTHENTICATED, ...NOT_FOUND, 409: 'the study already completed or failed: nothing to cancel' },
  })
  cancel(@Param('id', new IdPipe('study')) id: string): Promise<{ id: string; status: 'cancelled'; abortedJobs: number }> {
    return this.studies.cancel(id);
  }
}
