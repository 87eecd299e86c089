import { Logger, type ArgumentsHost } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { describe, expect, it, vi } from 'vitest';
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

    expect(sut).toEqual({ status: 503, body: { error: { code: 'UNAVAILABLE', message: expect.stringContaining('LATFLEET_QUERY_STATEMENT_TIMEOUT_MS') } } });
  });

  it('answers any other failed query with 500 and no detail', () => {
    vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);

    const sut = answer(new QueryFailedError('SELECT $1', ['secret'], Object.assign(new Error('boom'), { code: '22P02' })));

    expect(sut).toEqual({ status: 500, body: { error: { code: 'INTERNAL', message: 'internal error' } } });
  });
});
