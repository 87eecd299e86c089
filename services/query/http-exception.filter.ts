import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { ErrorCode, HTTP_STATUS, LatfleetError, type ErrorReason } from '../lib/errors/index.js';
import { ModelSpecError } from '../lib/models/index.js';
import { QUERY_CANCELED } from './statement-timeout.js';

export interface ErrorBody {
  error: { code: ErrorCode; reason: ErrorReason; message: string; field?: string };
}

/** The one error shape of the HTTP API: `{ "error": { "code", "reason", "message", "field"? } }` (code: the class; reason: what exactly, README "Errors"). */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(HttpExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const [status, body] = this.map(exception);
    res.status(status).json(body);
  }

  private map(e: unknown): [number, ErrorBody] {
    if (e instanceof LatfleetError) return [HTTP_STATUS[e.code], { error: { code: e.code, reason: e.reason, message: e.message, field: e.field } }];
    if (e instanceof ModelSpecError) return this.map(LatfleetError.of('MODEL_SPEC_INVALID', e.message, e.field || undefined));
    if ((e as { driverError?: { code?: string } } | null)?.driverError?.code === QUERY_CANCELED) {
      this.logger.warn(`a query ran past LATFLEET_QUERY_STATEMENT_TIMEOUT_MS and was cancelled: ${(e as Error).message}`);
      return this.map(new LatfleetError(ErrorCode.Unavailable, 'the query took too long and was cancelled (LATFLEET_QUERY_STATEMENT_TIMEOUT_MS); narrow it or try again'));
    }
    if (e instanceof HttpException) {
      const status = e.getStatus();
      const code = status === 404 ? ErrorCode.NotFound : status < 500 ? ErrorCode.ValidationFailed : ErrorCode.Internal;
      return [status, { error: { code, reason: new LatfleetError(code, e.message).reason, message: e.message } }];
    }
    this.logger.error(e instanceof Error ? e.stack : String(e));
    return [500, { error: { code: ErrorCode.Internal, reason: 'INTERNAL', message: 'internal error' } }];
  }
}
