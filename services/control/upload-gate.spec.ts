import { PassThrough } from 'node:stream';
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../lib/errors/index.js';
import type { UploadResultsRequest } from '../lib/proto/index.js';
import { UploadGate } from './upload-gate.js';
import { uploadBytes } from './upload-size.js';

const LIMITS = { uploadMaxMessages: 4096, uploadMaxBytes: 512 * 2 ** 20 };
const chunk = (sequence: number, n = 100): UploadResultsRequest => ({
  jobId: '00000000-0000-4000-8000-000000000001',
  attempt: 1,
  sequence,
  latencies: { latenciesNs: Array.from({ length: n }, (_, i) => 1_000_000 + i) },
});

describe(UploadGate.name, () => {
  it('lets a bounded number of uploads in, pauses the others and resumes them in order', async () => {
    const sut = new UploadGate({ uploadConcurrency: 2, uploadPerAgent: 2, ...LIMITS });
    const streams = [1, 2, 3, 4].map(() => new PassThrough({ objectMode: true }));
    for (const s of streams) sut.hold(s);
    const order: number[] = [];
    const turns = streams.map((s, i) => sut.admit(`agent-${i}`, s).then((release) => (order.push(i), release)));
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
    const sut = new UploadGate({ uploadConcurrency: 1, uploadPerAgent: 1, ...LIMITS });
    const first = await sut.admit('a', new PassThrough());
    const leaving = new PassThrough();
    const waiting = sut.admit('b', leaving);
    leaving.destroy();
    (await waiting)();
    expect(sut.queued).toBe(0);
    first();
    await expect(sut.admit('c', new PassThrough())).resolves.toEqual(expect.any(Function));
  });

  it('gives another agent a slot while one agent holds its whole share in stalled uploads', async () => {
    const sut = new UploadGate({ uploadConcurrency: 4, uploadPerAgent: 2, ...LIMITS });
    const greedy = [1, 2, 3, 4].map(() => new PassThrough({ objectMode: true }));
    for (const s of greedy) sut.hold(s);
    const greedyTurns = greedy.map((s) => sut.admit('greedy', s));
    const [g0] = await Promise.all([greedyTurns[0]!, greedyTurns[1]!]);
    const other = new PassThrough({ objectMode: true });
    sut.hold(other);

    const release = await sut.admit('other', other);

    expect(other.isPaused()).toBe(false);
    expect(greedy.map((s) => s.isPaused())).toEqual([false, false, true, true]);
    expect(sut.queued).toBe(2);
    release();
    expect(greedy[2]!.isPaused()).toBe(true);
    g0!();
    await greedyTurns[2];
    expect(greedy[2]!.isPaused()).toBe(false);
    expect(greedy[3]!.isPaused()).toBe(true);
  });

  it('lets a waiting agent under its share ahead of an earlier one at its share when a slot frees', async () => {
    const sut = new UploadGate({ uploadConcurrency: 2, uploadPerAgent: 1, ...LIMITS });
    await sut.admit('a');
    const b = await sut.admit('b');
    const a2 = sut.admit('a').then(() => 'a');
    const c = sut.admit('c').then(() => 'c');

    b();

    expect(await Promise.race([a2, c])).toBe('c');
    expect(sut.queued).toBe(1);
  });

  it('gives up on an admitted upload that stalls, as retryable, and passes one that arrives', async () => {
    const sut = new UploadGate({ uploadConcurrency: 1, uploadPerAgent: 1, ...LIMITS });
    sut.receiveDeadlineMs = 20;
    await expect(sut.within(new Promise(() => undefined))).rejects.toMatchObject({ code: ErrorCode.Unavailable });
    await expect(sut.within(Promise.resolve('parts'))).resolves.toBe('parts');
  });

  it('collects an upload within the limits with its wire size', async () => {
    const sut = new UploadGate({ uploadConcurrency: 1, uploadPerAgent: 1, uploadMaxMessages: 3, uploadMaxBytes: 2 ** 20 });
    const requests = new Subject<UploadResultsRequest>();
    const received = sut.collect(requests);
    const parts = [chunk(0), chunk(1), chunk(2)];

    for (const p of parts) requests.next(p);
    requests.complete();

    await expect(received).resolves.toEqual({ parts, bytes: uploadBytes(parts) });
  });

  it('refuses an upload with more messages than allowed as the next arrives, naming the limit, and keeps nothing more', async () => {
    const sut = new UploadGate({ uploadConcurrency: 1, uploadPerAgent: 1, uploadMaxMessages: 3, uploadMaxBytes: 2 ** 20 });
    const requests = new Subject<UploadResultsRequest>();
    const received = sut.collect(requests);

    for (let i = 0; i < 4; i++) requests.next(chunk(i));

    await expect(received).rejects.toMatchObject({ code: ErrorCode.ResourceExhausted, message: expect.stringContaining('more than 3 messages (LATFLEET_UPLOAD_MAX_MESSAGES)') });
    expect(requests.observed).toBe(false);
  });

  it('refuses an upload larger than allowed before it ends, naming the limit', async () => {
    const sut = new UploadGate({ uploadConcurrency: 1, uploadPerAgent: 1, uploadMaxMessages: 4096, uploadMaxBytes: 2 ** 20 });
    const requests = new Subject<UploadResultsRequest>();
    const received = sut.collect(requests);

    for (let i = 0; i < 50; i++) requests.next(chunk(i, 10_000));

    await expect(received).rejects.toMatchObject({ code: ErrorCode.ResourceExhausted, message: expect.stringContaining('more than 1 MB (LATFLEET_UPLOAD_MAX_MB)') });
    expect(requests.observed).toBe(false);
  });
});
