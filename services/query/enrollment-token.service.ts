import { Injectable } from '@nestjs/common';
import { fromZodError, LatfleetError } from '../lib/errors/index.js';
import { newSecret, secretHash } from '../lib/store/index.js';
import { createEnrollmentTokenBody } from './enrollment-token.dto.js';
import { EnrollmentTokenRepository, type EnrollmentTokenRow } from './enrollment-token.repository.js';

/** Enrollment tokens for agents: the secret is shown once, at creation; only its hash is stored. */
@Injectable()
export class EnrollmentTokenService {
  constructor(private readonly tokens: EnrollmentTokenRepository) {}

  async create(body: unknown): Promise<EnrollmentTokenRow & { token: string }> {
    const parsed = createEnrollmentTokenBody.safeParse(body ?? {});
    if (!parsed.success) throw fromZodError(parsed.error);
    const token = newSecret(24, 'lfe_');
    const row = await this.tokens.create(parsed.data.name, secretHash(token), parsed.data.ttlHours);
    return { ...row, token };
  }

  list(): Promise<EnrollmentTokenRow[]> {
    return this.tokens.list();
  }

  /** Revokes the token and every device that enrolled with it. */
  async revoke(id: string): Promise<EnrollmentTokenRow & { revokedDevices: number }> {
    const row = await this.tokens.revoke(id);
    if (!row) throw LatfleetError.notFound('enrollment token', id);
    return row;
  }
}
