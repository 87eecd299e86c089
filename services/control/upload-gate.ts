import type { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import type { Observable, Subscription } from 'rxjs';
import { CONFIG, type LatfleetConfig } from '../lib/config/index.js';
import { ErrorCode, LatfleetError } from '../lib/errors/index.js';
import type { UploadResultsRequest } from '../lib/proto/index.js';
import { uploadBytes } from './upload-size.js';

export interface ReceivedUpload {
  parts: UploadResultsRequest[];
  /** wire size of the parts */
  bytes: number;
}

interface Waiting {
  agent: string;
  turn: () => void;
}

/**
 * Bounds the uploads control holds in memory: beyond `uploadConcurrency` at once, or beyond
 * `uploadPerAgent` for one agent, an upload's stream stays paused (gRPC stops reading it; HTTP/2 flow
 * control holds the agent back) and is resumed, first come first served among the uploads whose agent
 * is under its share, when an upload ahead of it is done. One agent's stalled uploads thus hold at most
 * its share of the slots, never every slot.
 */
@Injectable()
export class UploadGate {
  private active = 0;
  private readonly perAgent = new Map<string, number>();
  private readonly waiting: Waiting[] = [];

  constructor(@Inject(CONFIG) private readonly config: Pick<LatfleetConfig, 'uploadConcurrency' | 'uploadPerAgent' | 'uploadMaxMessages' | 'uploadMaxBytes'>) {}

  /**
   * The upload's messages as they arrive, refused (RESOURCE_EXHAUSTED, naming the limit) as soon as
   * one more would exceed the messages or bytes an upload may have: what follows is not kept.
   * Subscribes at once (Nest drops messages that arrive before the handler subscribes); the promise
   * is marked handled, so a refusal before the caller awaits it cannot end the process.
   */
  collect(requests: Observable<UploadResultsRequest>): Promise<ReceivedUpload> {
    const { uploadMaxMessages, uploadMaxBytes } = this.config;
    const received = new Promise<ReceivedUpload>((resolve, reject) => {
      const parts: UploadResultsRequest[] = [];
      let bytes = 0;
      let refused = false;
      const holder: { subscription?: Subscription } = {};
      const refuse = (limit: string) => {
        refused = true;
        holder.subscription?.unsubscribe();
        reject(new LatfleetError(ErrorCode.ResourceExhausted, `upload: ${limit}; nothing stored`));
      };
      holder.subscription = requests.subscribe({
        next: (msg) => {
          if (refused) return;
          if (parts.length >= uploadMaxMessages) return refuse(`more than ${uploadMaxMessages} messages (LATFLEET_UPLOAD_MAX_MESSAGES)`);
          bytes += uploadBytes([msg]);
          if (bytes > uploadMaxBytes) return refuse(`more than ${uploadMaxBytes / 2 ** 20} MB (LATFLEET_UPLOAD_MAX_MB)`);
          parts.push(msg);
        },
        error: (err) => reject(err),
        complete: () => resolve({ parts, bytes }),
      });
      if (refused) holder.subscription.unsubscribe();
    });
    received.catch(() => undefined);
    return received;
  }

  /**
   * An admitted upload must arrive whole within this long (a 4,100-row run is about 260 kB): one
   * stalled by a network cut would otherwise hold its turn until the agent's own deadline, and a
   * rack of them would stop every upload.
   */
  receiveDeadlineMs = 60_000;

  /** `received`, or UNAVAILABLE (the agent keeps the results and sends them again) past the deadline. */
  within<T>(received: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new LatfleetError(ErrorCode.Unavailable, `upload not received within ${this.receiveDeadlineMs / 1000} s of its turn; nothing stored, send it again`)),
        this.receiveDeadlineMs,
      );
    });
    return Promise.race([received, deadline]).finally(() => clearTimeout(timer));
  }

  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Pauses the call's stream before it delivers a message, until `admit` lets it in: call this
   * synchronously in the handler, before anything is awaited (authenticating the agent is).
   */
  hold(stream?: Readable): void {
    if (stream) holdBack(stream);
  }

  /**
   * Resolves, once `agent`'s upload may proceed, to the function that ends its turn (call it once),
   * and resumes its stream (held by `hold`).
   */
  admit(agent: string, stream?: Readable): Promise<() => void> {
    let done = false;
    const release = () => {
      if (done) return;
      done = true;
      this.active--;
      const held = (this.perAgent.get(agent) ?? 1) - 1;
      if (held > 0) this.perAgent.set(agent, held);
      else this.perAgent.delete(agent);
      this.next();
    };
    const start = () => {
      this.active++;
      this.perAgent.set(agent, (this.perAgent.get(agent) ?? 0) + 1);
      if (stream) letGo(stream);
    };
    if (this.mayStart(agent)) {
      start();
      return Promise.resolve(release);
    }
    // An agent that gave up while it was being authenticated takes no place in the queue.
    if (stream?.destroyed) return Promise.resolve(() => undefined);
    return new Promise((resolve) => {
      const waiting: Waiting = {
        agent,
        turn: () => {
          stream?.off('close', gone);
          start();
          resolve(release);
        },
      };
      // An agent that gives up while waiting leaves the queue (its call ends with what it sent).
      const gone = () => {
        const i = this.waiting.indexOf(waiting);
        if (i >= 0) this.waiting.splice(i, 1);
        resolve(() => undefined);
      };
      stream?.once('close', gone);
      this.waiting.push(waiting);
    });
  }

  private mayStart(agent: string): boolean {
    return this.active < this.config.uploadConcurrency && (this.perAgent.get(agent) ?? 0) < this.config.uploadPerAgent;
  }

  /** Starts the waiting uploads, oldest first, that the freed slots and their agents' shares allow. */
  private next(): void {
    for (let i = 0; i < this.waiting.length && this.active < this.config.uploadConcurrency;) {
      const w = this.waiting[i]!;
      if (!this.mayStart(w.agent)) {
        i++;
        continue;
      }
      this.waiting.splice(i, 1);
      w.turn();
    }
  }
}

/**
 * Pauses a request stream so that it reads (almost) nothing more: a paused Readable still reads
 * ahead up to its high-water mark (16 messages in object mode, a whole upload), so that goes down to
 * one message. Node offers no public setter for an existing stream's mark.
 */
function holdBack(stream: Readable): void {
  const state = readableState(stream);
  if (!held.has(stream)) held.set(stream, state?.highWaterMark);
  if (state) state.highWaterMark = 1;
  stream.pause();
}

/** Undoes `holdBack`: the stream reads ahead as before and flows again. */
function letGo(stream: Readable): void {
  if (!held.has(stream)) return;
  const state = readableState(stream);
  const mark = held.get(stream);
  if (state && mark !== undefined) state.highWaterMark = mark;
  held.delete(stream);
  stream.resume();
}

/** Held streams and their own high-water marks. */
const held = new WeakMap<Readable, number | undefined>();
const readableState = (stream: Readable) => (stream as unknown as { _readableState?: { highWaterMark: number } })._readableState;
