import type { Metadata } from '@grpc/grpc-js';
import { Controller, Logger, UseFilters } from '@nestjs/common';
import { Observable, Subject, from, lastValueFrom, toArray } from 'rxjs';
import { ErrorCode, LatfleetError } from '../lib/errors/index.js';
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
import { DeviceService } from './device.service.js';
import { GrpcExceptionFilter } from './grpc-exception.filter.js';
import { holdUntilSubscribed } from './hold-until-subscribed.js';
import { JobRepository } from './job.repository.js';
import { JobService } from './job.service.js';
import { ModelRepository } from './model.repository.js';
import { ResultService } from './result.service.js';
import { SessionRegistry, type AgentSession } from './session.registry.js';

const CHUNK_BYTES = 1 << 20;
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
    private readonly jobs: JobRepository,
    private readonly sessions: SessionRegistry,
    private readonly results: ResultService,
    private readonly models: ModelRepository,
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
    const session: AgentSession = { deviceId: device.id, deviceName: device.name, device, out, jobId: null, assignedAt: 0 };
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
      await this.devices.heartbeat(session.deviceId);
      // A working agent keeps its lease: only silence (or a lease far past any job) frees the job.
      if (msg.heartbeat.jobId) await this.jobs.extendLease(msg.heartbeat.jobId, session.deviceId, this.jobService.leaseSeconds);
      if (msg.heartbeat.state === AgentState.AGENT_STATE_IDLE) this.jobService.idle(session);
      // An agent that reconnects mid-job (e.g. to another replica) is busy, whatever this process knew.
      else if (msg.heartbeat.jobId) session.jobId = msg.heartbeat.jobId;
    } else if (msg.status) {
      await this.jobService.status(session, msg.status);
    }
  }

  /**
   * Returns an Observable at once: Nest replays the request stream's buffered messages (and its
   * completion) only after the handler returns, so a handler that awaits the stream never ends.
   */
  uploadResults(requests: Observable<UploadResultsRequest>, metadata?: Metadata): Observable<UploadResultsResponse> {
    const collected = lastValueFrom(requests.pipe(toArray()));
    return from(
      (async () => {
        const device = await this.devices.authenticate(bearer(metadata));
        const parts = await collected;
        const ack = await this.results.ingest(device.id, parts);
        const session = this.sessions.get(device.id);
        if (session && parts[0]) this.jobService.release(session, parts[0].jobId);
        return ack;
      })(),
    );
  }

  fetchModel(request: FetchModelRequest, metadata?: Metadata): Observable<FetchModelResponse> {
    return new Observable<FetchModelResponse>((sub) => {
      (async () => {
        const device = await this.devices.authenticate(bearer(metadata));
        if (!/^[0-9a-f]{64}$/.test(request.sha256)) throw LatfleetError.validation('sha256', 'expected 64 lowercase hex digits');
        if (!(await this.jobs.modelLeasedToDevice(request.sha256, device.id))) {
          throw new LatfleetError(ErrorCode.PermissionDenied, `model ${request.sha256} is not part of a job leased to this agent`);
        }
        const data = await this.models.findBytes(request.sha256);
        if (!data) throw LatfleetError.notFound('model', request.sha256);
        for (let offset = 0; offset < data.length && !sub.closed; offset += CHUNK_BYTES) {
          sub.next({ offset, data: data.subarray(offset, offset + CHUNK_BYTES), totalSizeBytes: data.length });
        }
        sub.complete();
      })().catch((err) => sub.error(err));
    });
  }
}
