import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { CONFIG, type LatfleetConfig } from '../lib/config/index.js';
import {
  AGENT_SERVICE_PROTO,
  protoLoaderOptions,
  protoRoot,
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
  uploadResults(md: grpc.Metadata, cb: Callback<UploadResultsResponse>): grpc.ClientWritableStream<UploadResultsRequest>;
  fetchModel(req: unknown, md: grpc.Metadata): grpc.ClientReadableStream<FetchModelResponse>;
}

/** The agent's side of the gRPC protocol: the one place that talks to the control plane. */
@Injectable()
export class ControlClient implements OnModuleDestroy {
  private readonly stub: AgentServiceStub;
  private credential = '';

  constructor(@Inject(CONFIG) config: LatfleetConfig) {
    const def = protoLoader.loadSync(join(protoRoot(), AGENT_SERVICE_PROTO), protoLoaderOptions());
    const pkg = grpc.loadPackageDefinition(def) as unknown as { latfleet: { v1: { AgentService: new (addr: string, creds: grpc.ChannelCredentials) => AgentServiceStub } } };
    this.stub = new pkg.latfleet.v1.AgentService(config.controlAddress, grpc.credentials.createInsecure());
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
    return new Promise((resolve, reject) =>
      this.stub.register({ enrollmentToken, facts }, (err, res) => (err ? reject(err) : resolve(res!))),
    );
  }

  connect(): grpc.ClientDuplexStream<ConnectRequest, ConnectResponse> {
    return this.stub.connect(this.metadata());
  }

  upload(parts: UploadResultsRequest[]): Promise<UploadResultsResponse> {
    return new Promise((resolve, reject) => {
      const call = this.stub.uploadResults(this.metadata(), (err, res) => (err ? reject(err) : resolve(res!)));
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
