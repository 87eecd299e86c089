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

/**
 * Bounds the uploads control holds in memory: beyond `uploadConcurrency`, an upload's stream is
 * paused before its first message (gRPC stops reading it; HTTP/2 flow control holds the agent back)
 * and resumed, first come first served, when an upload ahead of it is done.
 */
@Injectable()
export class UploadGate {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(@Inject(CONFIG) private readonly config: Pick<LatfleetConfig, 'uploadConcurrency' | 'uploadMaxMessages' | 'uploadMaxBytes'>) {}

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
      let subscription: Subscription | undefined;
      const refuse = (limit: string) => {
        refused = true;
        subscription?.unsubscribe();
        reject(new LatfleetError(ErrorCode.ResourceExhausted, `upload: ${limit}; nothing stored`));
      };
      subscription = requests.subscribe({
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
      if (refused) subscription.unsubscribe();
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

  /** Resolves, once the upload may proceed, to the function that ends its turn (call it once). */
  admit(stream?: Readable): Promise<() => void> {
    let done = false;
    const release = () => {
      if (done) return;
      done = true;
      this.active--;
      this.waiting.shift()?.();
    };
    if (this.active < this.config.uploadConcurrency) {
      this.active++;
      return Promise.resolve(release);
    }
    if (stream) holdBack(stream);
    return new Promise((resolve) => {
      const turn = () => {
        stream?.off('close', gone);
        this.active++;
        stream?.resume();
        resolve(release);
      };
      // An agent that gives up while waiting leaves the queue (its call ends with what it sent).
      const gone = () => {
        const i = this.waiting.indexOf(turn);
        if (i >= 0) this.waiting.splice(i, 1);
        resolve(() => undefined);
      };
      stream?.once('close', gone);
      this.waiting.push(turn);
    });
  }
}

/**
 * Pauses a request stream so that it reads (almost) nothing more: a paused Readable still reads
 * ahead up to its high-water mark (16 messages in object mode, a whole upload), so that goes down to
 * one message. Node offers no public setter for an existing stream's mark.
 */
function holdBack(stream: Readable): void {
  const state = (stream as unknown as { _readableState?: { highWaterMark: number } })._readableState;
  if (state) state.highWaterMark = 1;
  stream.pause();
}
