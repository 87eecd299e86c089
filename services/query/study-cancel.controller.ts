import { Controller, HttpCode, Param, Post } from '@nestjs/common';
import { StudyService } from './study.service.js';
import { IdPipe } from './uuid.pipe.js';

@Controller('api/v1/studies')
export class StudyCancelController {
  constructor(private readonly studies: StudyService) {}

  /** Queued jobs never run; running ones are aborted on their agents. Results already stored stay. */
  @Post(':id/cancel')
  @HttpCode(200)
  cancel(@Param('id', new IdPipe('study')) id: string): Promise<{ id: string; status: 'cancelled'; abortedJobs: number }> {
    return this.studies.cancel(id);
  }
}
