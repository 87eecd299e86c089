import { Injectable, Logger } from '@nestjs/common';
import { LatfleetError } from '../lib/errors/index.js';
import { DEFAULT_PROTOCOL } from '../lib/measure/index.js';
import { buildVariant, parseStudySpec } from '../lib/models/index.js';
import type { Page } from './pagination.dto.js';
import type { StudyListQuery } from './study.dto.js';
import { StudyRepository, type StudyDetail, type StudySummary } from './study.repository.js';

@Injectable()
export class StudyService {
  private readonly logger = new Logger(StudyService.name);

  constructor(private readonly studies: StudyRepository) {}

  /** Validates the spec, builds every variant, stores it all and queues the first rounds (a job per variant in each). */
  async create(body: unknown): Promise<StudyDetail> {
    const spec = parseStudySpec(body);
    const protocol = spec.protocol ?? DEFAULT_PROTOCOL;
    const { ids, each, ...selector } = spec.devices ?? {};
    let targets: string[] | null = null;
    if (ids || each) {
      targets = await this.studies.matchingDevices(selector, ids);
      if (targets.length === 0) throw LatfleetError.validation('devices', 'no registered device matches this selection');
      if (ids && targets.length < ids.length) throw LatfleetError.validation('devices.ids', 'names a device that is not registered or does not match');
    }
    const started = Date.now();
    const variants = spec.variants.map((v) => ({ label: v.label, model: buildVariant(v.spec) }));
    this.logger.log(`study ${spec.name}: built ${variants.length} variants in ${Date.now() - started} ms`);
    const id = await this.studies.create({
      name: spec.name,
      spec: { ...spec, protocol },
      baselineLabel: spec.baseline,
      protocol,
      replicates: protocol.replicates,
      priority: spec.priority,
      selector,
      targets,
      variants,
    });
    return (await this.studies.find(id))!;
  }

  list(q: StudyListQuery): Promise<Page<StudySummary>> {
    return this.studies.list(q);
  }

  async get(id: string): Promise<StudyDetail> {
    const study = await this.studies.find(id);
    if (!study) throw LatfleetError.notFound('study', id);
    return study;
  }
}
