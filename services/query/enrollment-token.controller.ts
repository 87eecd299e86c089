import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { z } from 'zod';
import { createEnrollmentTokenBody } from './enrollment-token.dto.js';
import { type EnrollmentTokenRow, enrollmentTokenRow, issuedEnrollmentToken, revokedEnrollmentToken } from './contract.js';
import { EnrollmentTokenService } from './enrollment-token.service.js';
import { IdPipe } from './uuid.pipe.js';
import { ApiRoute, INVALID, NOT_FOUND, UNAUTHENTICATED } from './api-route.decorator.js';

/** Enrollment tokens for agents: the secret is shown once, at creation; only its hash is stored. */
@Controller('api/v1/enrollment-tokens')
export class EnrollmentTokenController {
  constructor(private readonly tokens: EnrollmentTokenService) {}

  @Post()
  @HttpCode(201)
  @ApiRoute({
    tag: 'enrollment',
    summary: 'issue a token agents enroll with (the secret is shown once)',
    body: createEnrollmentTokenBody,
    answer: issuedEnrollmentToken,
    ok: 'the token, with its secret',
    errors: { ...INVALID, ...UNAUTHENTICATED },
  })
  create(@Body() body: unknown): Promise<EnrollmentTokenRow & { token: string }> {
    return this.tokens.create(body);
  }

  @Get()
  @ApiRoute({ tag: 'enrollment', summary: 'issued tokens (no secrets)', answer: z.object({ items: z.array(enrollmentTokenRow) }), ok: 'tokens', errors: UNAUTHENTICATED })
  async list(): Promise<{ items: EnrollmentTokenRow[] }> {
    return { items: await this.tokens.list() };
  }

  @Delete(':id')
  @ApiRoute({
    tag: 'enrollment',
    summary: 'revoke a token and the devices that enrolled with it',
    answer: revokedEnrollmentToken,
    ok: 'the revoked token and `revokedDevices`',
    errors: { ...UNAUTHENTICATED, ...NOT_FOUND },
  })
  revoke(@Param('id', new IdPipe('enrollment token')) id: string): Promise<EnrollmentTokenRow & { revokedDevices: number }> {
    return this.tokens.revoke(id);
  }
}
