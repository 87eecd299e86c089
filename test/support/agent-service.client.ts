import * as grpc from '@grpc/grpc-js';
import {
  agentServiceDefinition,
  type ConnectRequest,
  type ConnectResponse,
  type FetchModelRequest,
  type FetchModelResponse,
  type RegisterRequest,
  type RegisterResponse,
  type UploadResultsRequest,
  type UploadResultsResponse,
} from '../../services/lib/proto/index.js';

type Callback<T> = (err: grpc.ServiceError | null, res?: T) => void;

/** The agent protocol as a raw grpc-js client, for tests that play agents themselves. */
export interface AgentServiceStub extends grpc.Client {
  register(req: RegisterRequest, md: grpc.Metadata, opts: grpc.CallOptions, cb: Callback<RegisterResponse>): grpc.ClientUnaryCall;
  connect(md: grpc.Metadata, opts?: grpc.CallOptions): grpc.ClientDuplexStream<ConnectRequest, ConnectResponse>;
  uploadResults(md: grpc.Metadata, opts: grpc.CallOptions, cb: Callback<UploadResultsResponse>): grpc.ClientWritableStream<UploadResultsRequest>;
  fetchModel(req: FetchModelRequest, md: grpc.Metadata, opts?: grpc.CallOptions): grpc.ClientReadableStream<FetchModelResponse>;
}

type StubConstructor = new (address: string, creds: grpc.ChannelCredentials, options?: grpc.ChannelOptions) => AgentServiceStub;
let stubConstructor: StubConstructor | undefined;

/**
 * A client of the control plane. Each client gets a TCP connection of its own (a local subchannel
 * pool), as separate agent processes would; pass `shared` to multiplex over grpc-js's global pool.
 */
export function agentServiceClient(address: string, opts: { shared?: boolean } = {}): AgentServiceStub {
  if (!stubConstructor) {
    const def = agentServiceDefinition();
    const pkg = grpc.loadPackageDefinition(def) as unknown as { latfleet: { v1: { AgentService: StubConstructor } } };
    stubConstructor = pkg.latfleet.v1.AgentService;
  }
  const options: grpc.ChannelOptions = opts.shared ? {} : { 'grpc.use_local_subchannel_pool': 1 };
  return new stubConstructor(address, grpc.credentials.createInsecure(), { ...options, 'grpc.max_receive_message_length': 64 << 20 });
}

export function bearer(credential: string): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${credential}`);
  return md;
}
