import { Logger, type ArgumentsHost } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { describe, expect, it, vi } from 'vitest';
import { ErrorCode, HTTP_STATUS, LatfleetError } from '../lib/errors/index.js';
import { ModelSpecError } from '../lib/models/index.js';
import { HttpExceptionFilter } from './http-exception.filter.js';

function answer(exception: unknown): { status: number; body: any } {
  const res = { status: vi.fn(), json: vi.fn() };
  res.status.mockReturnValue(res);
  const host = { switchToHttp: () => ({ getResponse: () => res }) } as unknown as ArgumentsHost;
  new HttpExceptionFilter().catch(exception, host);
  return { status: res.status.mock.calls[0]![0], body: res.json.mock.calls[0]![0] };
}

describe(HttpExceptionFilter.name, () => {
  it('answers a query cancelled by the statement timeout with 503, naming the setting', () => {
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const timedOut = new QueryFailedError('SELECT 1', [], Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }));

    const sut = answer(timedOut);

    expect(sut).toEqual({ status: 503, body: { error: { code: 'UNAVAILABLE', reason: 'UNAVAILABLE', message: expect.stringContaining('LATFLEET_QUERY_STATEMENT_TIMEOUT_MS') } } });
  });

  it('answers any other failed query with 500 and no detail', () => {
    vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);

    const sut = answer(new QueryFailedError('SELECT $1', ['secret'], Object.assign(new Error('boom'), { code: '22P02' })));

    expect(sut).toEqual({ status: 500, body: { error: { code: 'INTERNAL', reason: 'INTERNAL', message: 'internal error' } } });
  });

  it('tells errors of one status apart by their reason: the resource that was not found, an invalid model spec', () => {
    expect(answer(LatfleetError.notFound('study', 'x'))).toEqual({ status: 404, body: { error: { code: 'NOT_FOUND', reason: 'STUDY_NOT_FOUND', message: 'study x not found' } } });
    expect(answer(LatfleetError.notFound('enrollment token', 'x')).body.error.reason).toBe('ENROLLMENT_TOKEN_NOT_FOUND');
    expect(answer(LatfleetError.notFound('gizmo', 'x')).body.error.reason).toBe('NOT_FOUND');
    expect(answer(new ModelSpecError('act', 'unknown activation'))).toMatchObject({
      status: 400,
      body: { error: { code: 'VALIDATION_FAILED', reason: 'MODEL_SPEC_INVALID', field: 'act' } },
    });
    expect(answer(new LatfleetError(ErrorCode.ResourceExhausted, 'too big'))).toMatchObject({ status: 413, body: { error: { reason: 'LIMIT_EXCEEDED' } } });
  });

  it('refuses a reason of another class, so that the one table stays true', () => {
    expect(() => new LatfleetError(ErrorCode.NotFound, 'x', undefined, 'LIMIT_EXCEEDED')).toThrow(/not of class NOT_FOUND/);
    expect(HTTP_STATUS).toMatchObject({ VALIDATION_FAILED: 400, NOT_FOUND: 404, RESOURCE_EXHAUSTED: 413, UNAVAILABLE: 503 });
  });
});
