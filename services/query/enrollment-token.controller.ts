import { createHash, randomBytes } from 'node:crypto';
import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { z } from 'zod';
import { LatfleetError, fromZodError } from '../lib/errors/index.js';
import { EnrollmentTokenRepository, type EnrollmentTokenRow } from './enrollment-token.repository.js';
import { IdPipe } from './uuid.pipe.js';

const createSchema = z
  .object({
    name: z.string().min(1).max(100).default('agents'),
    ttlHours: z.number().positive().max(24 * 365).nullable().default(24),
  })
  .strict();

/** Enrollment tokens for agents: the secret is shown once, at creation; only its hash is stored. */
@Controller('api/v1/enrollment-tokens')
export class EnrollmentTokenController {
  constructor(private readonly tokens: EnrollmentTokenRepository) {}

  @Post()
  @HttpCode(201)
  async create(@Body() body: unknown): Promise<EnrollmentTokenRow & { token: string }> {
    const parsed = createSchema.safeParse(body ?? {});
    if (!parsed.success) throw fromZodError(parsed.error);
    const token = `lfe_${randomBytes(24).toString('base64url')}`;
    const row = await this.tokens.create(parsed.data.name, createHash('sha256').update(token).digest('hex'), parsed.data.ttlHours);
    return { ...row, token };
  }

  @Get()
  async list(): Promise<{ items: EnrollmentTokenRow[] }> {
    return { items: await this.tokens.list() };
  }

  @Delete(':id')
  async revoke(@Param('id', new IdPipe('enrollment token')) id: string): Promise<EnrollmentTokenRow> {
    const row = await this.tokens.revoke(id);
    if (!row) throw LatfleetError.notFound('enrollment token', id);
    return row;
  }
}
