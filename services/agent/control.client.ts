import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { CONFIG, type LatfleetConfig } from '../lib/config/index.js';
import {
  agentServiceDefinition,
  type ConnectRequest,
  type ConnectResponse,
  type DeviceFacts,
  type FetchModelResponse,
  type RegisterResponse,
  type UploadResultsRequest,
  type UploadResultsResponse,
} from '../lib/proto/index.js';

type Callback<T> = (err: grpc.ServiceError | null, res?: T) => void;
interface AgentServiceStub extends grpc.Client {
  register(req: unknown, cb: Callback<RegisterResponse>): grpc.ClientUnaryCall;
  connect(md: grpc.Metadata): grpc.ClientDuplexStream<ConnectRequest, ConnectResponse>;
  uploadResults(md: grpc.Metadata, options: grpc.CallOptions, cb: Callback<UploadResultsResponse>): grpc.ClientWritableStream<UploadResultsRequest>;
  fetchModel(req: unknown, md: grpc.Metadata): grpc.ClientReadableStream<FetchModelResponse>;
}

type StubConstructor = new (addr: string, creds: grpc.ChannelCredentials, options?: grpc.ChannelOptions) => AgentServiceStub;

/** Notice a silent network cut within ~20 s instead of TCP's minutes. */
const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 1,
};
/** An upload that has not been acknowledged by then is retried from the outbox. */
const UPLOAD_DEADLINE_MS = 120_000;

/**
 * The agent's side of the gRPC protocol: the one place that talks to the control plane.
 * LATFLEET_CONTROL_ADDRESS may list several replicas (`host:port,host:port`): on failure the agent
 * moves to the next.
 */
@Injectable()
export class ControlClient implements OnModuleDestroy {
  private readonly Stub: StubConstructor;
  private readonly addresses: string[];
  private readonly channelCredentials: grpc.ChannelCredentials;
  private index = 0;
  private stub: AgentServiceStub;
  private credential = '';

  constructor(@Inject(CONFIG) config: LatfleetConfig) {
    const def = agentServiceDefinition();
    this.Stub = (grpc.loadPackageDefinition(def) as unknown as { latfleet: { v1: { AgentService: StubConstructor } } }).latfleet.v1.AgentService;
    this.addresses = config.controlAddress
      .split(',')
      .map((a) => a.trim())
      .filter(Boolean);
    const tls = config.controlTls;
    this.channelCredentials = tls
      ? grpc.credentials.createSsl(readFileSync(tls.ca), tls.key ? readFileSync(tls.key) : null, tls.cert ? readFileSync(tls.cert) : null)
      : grpc.credentials.createInsecure();
    this.stub = new this.Stub(this.addresses[0]!, this.channelCredentials, CHANNEL_OPTIONS);
  }

  get address(): string {
    return this.addresses[this.index]!;
  }

  /** Moves to the next control replica (no-op with one address). */
  failover(): void {
    if (this.addresses.length < 2) return;
    this.stub.close();
    this.index = (this.index + 1) % this.addresses.length;
    this.stub = new this.Stub(this.address, this.channelCredentials, CHANNEL_OPTIONS);
  }

  onModuleDestroy(): void {
    this.stub.close();
  }

  useCredential(credential: string): void {
    this.credential = credential;
  }

  private metadata(): grpc.Metadata {
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${this.credential}`);
    return md;
  }

  register(enrollmentToken: string, facts: DeviceFacts): Promise<RegisterResponse> {
    return new Promise((resolve, reject) => this.stub.register({ enrollmentToken, facts }, (err, res) => (err ? reject(err) : resolve(res!))));
  }

  connect(): grpc.ClientDuplexStream<ConnectRequest, ConnectResponse> {
    return this.stub.connect(this.metadata());
  }

  upload(parts: UploadResultsRequest[]): Promise<UploadResultsResponse> {
    return new Promise((resolve, reject) => {
      const call = this.stub.uploadResults(this.metadata(), { deadline: Date.now() + UPLOAD_DEADLINE_MS }, (err, res) => (err ? reject(err) : resolve(res!)));
      for (const p of parts) call.write(p);
      call.end();
    });
  }

  async fetchModel(sha256: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    const call = this.stub.fetchModel({ sha256 }, this.metadata());
    for await (const chunk of call as AsyncIterable<FetchModelResponse>) chunks.push(Buffer.from(chunk.data));
    return Buffer.concat(chunks);
  }
}
