import type { Metadata } from '@grpc/grpc-js';
import type { Readable, Writable } from 'node:stream';
import { Controller, Logger, UseFilters } from '@nestjs/common';
import { Observable, Subject, from } from 'rxjs';
import {
  AgentServiceControllerMethods,
  AgentState,
  type AgentServiceController,
  type ConnectRequest,
  type ConnectResponse,
  type FetchModelRequest,
  type FetchModelResponse,
  type RegisterRequest,
  type RegisterResponse,
  type UploadResultsRequest,
  type UploadResultsResponse,
} from '../lib/proto/index.js';
import { ErrorCode, LatfleetError } from '../lib/errors/index.js';
import { DeviceService } from './device.service.js';
import { GrpcExceptionFilter } from './grpc-exception.filter.js';
import { holdUntilSubscribed } from './hold-until-subscribed.js';
import { JobService } from './job.service.js';
import { ModelService } from './model.service.js';
import { RunService } from './run.service.js';
import { SessionRegistry, type AgentSession } from './session.registry.js';
import { UploadGate } from './upload-gate.js';

const bearer = (md: Metadata | undefined) => md?.get('authorization')[0]?.toString();

/** gRPC handlers: authenticate, validate, call one service, map the result. */
@Controller()
@UseFilters(GrpcExceptionFilter)
@AgentServiceControllerMethods()
export class AgentController implements AgentServiceController {
  private readonly logger = new Logger(AgentController.name);

  constructor(
    private readonly devices: DeviceService,
    private readonly jobService: JobService,
    private readonly sessions: SessionRegistry,
    private readonly runs: RunService,
    private readonly modelService: ModelService,
    private readonly uploads: UploadGate,
  ) {}

  register(request: RegisterRequest): Promise<RegisterResponse> {
    return this.devices.register(request.enrollmentToken, request.facts);
  }

  connect(requests: Observable<ConnectRequest>, metadata?: Metadata): Observable<ConnectResponse> {
    const out = new Subject<ConnectResponse>();
    // Subscribe before the first await: Nest drops messages that arrive before the handler subscribes.
    void this.openSession(holdUntilSubscribed(requests), bearer(metadata), out).catch((err) => out.error(err));
    return out.asObservable();
  }

  private async openSession(requests: Observable<ConnectRequest>, authorization: string | undefined, out: Subject<ConnectResponse>) {
    const device = await this.devices.authenticate(authorization);
    const session: AgentSession = { deviceId: device.id, deviceName: device.name, device, out, busy: false, jobIds: new Set(), assignedAt: 0 };
    this.sessions.add(session);
    await this.devices.online(device.id);
    this.logger.log(`agent ${device.name} connected (${this.sessions.size} connected)`);
    const close = async () => {
      if (!this.sessions.remove(session)) return;
      out.complete();
      await this.devices.offline(device.id).catch(() => undefined);
      this.logger.log(`agent ${device.name} disconnected`);
    };
    requests.subscribe({
      next: (msg) => void this.onAgentMessage(session, msg).catch((err) => this.logger.warn(`${device.name}: ${(err as Error).message}`)),
      error: () => void close(),
      complete: () => void close(),
    });
  }

  private async onAgentMessage(session: AgentSession, msg: ConnectRequest): Promise<void> {
    if (msg.heartbeat) {
      if (!(await this.devices.heartbeat(session.deviceId))) {
        // revoked (latfleet devices revoke): the session ends; its leases go back to the queue when its heartbeats stop counting
        this.logger.warn(`agent ${session.deviceName}: device revoked; ending its session`);
        if (this.sessions.remove(session)) session.out.error(new LatfleetError(ErrorCode.Unauthenticated, 'this device was revoked: register again with an enrollment token'));
        return;
      }
      // A working agent keeps its lease: only silence (or a lease far past any job) frees the job.
      if (msg.heartbeat.jobId) await this.jobService.extendLease(session, msg.heartbeat.jobId);
      if (msg.heartbeat.state === AgentState.AGENT_STATE_IDLE) this.jobService.idle(session);
      // An agent that reconnects mid-job (e.g. to another replica) is busy, whatever this process knew.
      else if (msg.heartbeat.jobId) this.jobService.busyWith(session, msg.heartbeat.jobId);
    } else if (msg.status) {
      await this.jobService.status(session, msg.status);
    }
  }

  /**
   * Returns an Observable at once: Nest replays the request stream's buffered messages (and its
   * completion) only after the handler returns, so a handler that awaits the stream never ends.
   */
  uploadResults(requests: Observable<UploadResultsRequest>, metadata?: Metadata, call?: Readable): Observable<UploadResultsResponse> {
    // Before anything else: a paused call must not have delivered messages yet.
    this.uploads.hold(call);
    const collected = this.uploads.collect(requests);
    return from(
      (async () => {
        // Admission needs the agent: its share of the upload slots is counted by device.
        const device = await this.devices.authenticate(bearer(metadata));
        const done = await this.uploads.admit(device.id, call);
        try {
          const { parts, bytes } = await this.uploads.within(collected);
          const ack = await this.runs.ingest(device.id, parts, bytes);
          const session = this.sessions.get(device.id);
          if (session && parts[0]) this.jobService.release(session, parts[0].jobId);
          return ack;
        } finally {
          done();
        }
      })(),
    );
  }

  /**
   * Chunks go out as the client takes them: the next is produced only once gRPC's buffer drains.
   * Ending the chunks (completed, failed or cancelled) releases the model's bytes in the cache.
   */
  fetchModel(request: FetchModelRequest, metadata?: Metadata, call?: Writable): Observable<FetchModelResponse> {
    return new Observable<FetchModelResponse>((sub) => {
      let chunks: AsyncGenerator<FetchModelResponse> | undefined;
      (async () => {
        const device = await this.devices.authenticate(bearer(metadata));
        if (sub.closed) return;
        chunks = this.modelService.chunks(device.id, request.sha256);
        for await (const chunk of chunks) {
          if (sub.closed) return;
          sub.next(chunk);
          if (call?.writableNeedDrain) await drained(call);
        }
        sub.complete();
      })().catch((err) => sub.error(err));
      // Nest unsubscribes when the client cancels: the model's bytes are released at once.
      return () => void chunks?.return(undefined).catch(() => undefined);
    });
  }
}

function drained(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    const events = ['drain', 'close', 'error', 'cancelled'];
    const done = () => {
      for (const e of events) stream.off(e, done);
      resolve();
    };
    for (const e of events) stream.on(e, done);
  });
}
