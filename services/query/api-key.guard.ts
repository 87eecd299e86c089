import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, SetMetadata, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { CONFIG, type LatfleetConfig } from '../lib/config/index.js';
import { ErrorCode, LatfleetError } from '../lib/errors/index.js';

export const PUBLIC = 'latfleet:public';
/** Health and readiness answer without a key (probes); everything else follows LATFLEET_API_READ. */
export const Public = () => SetMetadata(PUBLIC, true);

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Write endpoints need an API key (`Authorization: Bearer <key>` or `X-Api-Key`); read endpoints
 * too when LATFLEET_API_READ=key. Keys are compared by hash in constant time and never logged.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keys: Buffer[];

  constructor(
    @Inject(CONFIG) private readonly config: LatfleetConfig,
    private readonly reflector: Reflector,
  ) {
    this.keys = config.apiKeys.map(digest);
  }

  canActivate(ctx: ExecutionContext): boolean {
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC, [ctx.getHandler(), ctx.getClass()])) return true;
    const req = ctx.switchToHttp().getRequest<Request>();
    const write = !['GET', 'HEAD', 'OPTIONS'].includes(req.method);
    if (!write && this.config.apiRead === 'open') return true;
    const auth = req.headers.authorization;
    const given = auth?.startsWith('Bearer ') ? auth.slice(7) : (req.headers['x-api-key'] as string | undefined);
    if (!given) throw new LatfleetError(ErrorCode.Unauthenticated, 'API key required (Authorization: Bearer <key>)');
    const d = digest(given);
    if (!this.keys.some((k) => timingSafeEqual(k, d))) throw new LatfleetError(ErrorCode.Unauthenticated, 'API key not valid');
    return true;
  }
}
