import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import type { EnrollmentTokenRow } from './contract.js';
import { EnrollmentTokenService } from './enrollment-token.service.js';
import { IdPipe } from './uuid.pipe.js';

/** Enrollment tokens for agents: the secret is shown once, at creation; only its hash is stored. */
@Controller('api/v1/enrollment-tokens')
export class EnrollmentTokenController {
  constructor(private readonly tokens: EnrollmentTokenService) {}

  @Post()
  @HttpCode(201)
  create(@Body() body: unknown): Promise<EnrollmentTokenRow & { token: string }> {
    return this.tokens.create(body);
  }

  @Get()
  async list(): Promise<{ items: EnrollmentTokenRow[] }> {
    return { items: await this.tokens.list() };
  }

  @Delete(':id')
  revoke(@Param('id', new IdPipe('enrollment token')) id: string): Promise<EnrollmentTokenRow & { revokedDevices: number }> {
    return this.tokens.revoke(id);
  }
}
