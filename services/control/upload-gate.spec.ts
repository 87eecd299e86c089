import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../lib/errors/index.js';
import { UploadGate } from './upload-gate.js';

describe(UploadGate.name, () => {
  it('lets a bounded number of uploads in, pauses the others and resumes them in order', async () => {
    const sut = new UploadGate({ uploadConcurrency: 2 });
    const streams = [1, 2, 3, 4].map(() => new PassThrough({ objectMode: true }));
    for (const s of streams) s.resume();
    const order: number[] = [];
    const turns = streams.map((s, i) => sut.admit(s).then((release) => (order.push(i), release)));
    const [a, b] = await Promise.all([turns[0]!, turns[1]!]);
    expect(streams.map((s) => s.isPaused())).toEqual([false, false, true, true]);
    expect(sut.queued).toBe(2);
    a();
    a();
    const c = await turns[2]!;
    expect(streams[2]!.isPaused()).toBe(false);
    expect(streams[3]!.isPaused()).toBe(true);
    b();
    c();
    (await turns[3]!)();
    expect(order).toEqual([0, 1, 2, 3]);
    expect(sut.queued).toBe(0);
  });

  it('drops an upload whose stream closes while it waits', async () => {
    const sut = new UploadGate({ uploadConcurrency: 1 });
    const first = await sut.admit(new PassThrough());
    const leaving = new PassThrough();
    const waiting = sut.admit(leaving);
    leaving.destroy();
    (await waiting)();
    expect(sut.queued).toBe(0);
    first();
    await expect(sut.admit(new PassThrough())).resolves.toEqual(expect.any(Function));
  });

  it('gives up on an admitted upload that stalls, as retryable, and passes one that arrives', async () => {
    const sut = new UploadGate({ uploadConcurrency: 1 });
    sut.receiveDeadlineMs = 20;
    await expect(sut.within(new Promise(() => undefined))).rejects.toMatchObject({ code: ErrorCode.Unavailable });
    await expect(sut.within(Promise.resolve('parts'))).resolves.toBe('parts');
  });
});
