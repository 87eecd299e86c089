import 'reflect-metadata';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { Transport, type GrpcOptions } from '@nestjs/microservices';
import { readFileSync } from 'node:fs';
import { ServerCredentials } from '@grpc/grpc-js';
import { ConfigError, loadConfig, logLevels, type LatfleetConfig } from '../lib/config/index.js';
import { AGENT_SERVICE_PROTO, LATFLEET_V1_PACKAGE_NAME, protoLoaderOptions, protoRoot } from '../lib/proto/index.js';
import { ControlModule } from './control.module.js';
import { isLoopback } from './loopback.js';

/** TLS when configured; plaintext only on loopback unless explicitly allowed. */
export function serverCredentials(config: LatfleetConfig): ServerCredentials {
  if (config.grpcTls) {
    const { cert, key, clientCa } = config.grpcTls;
    return ServerCredentials.createSsl(clientCa ? readFileSync(clientCa) : null, [{ cert_chain: readFileSync(cert), private_key: readFileSync(key) }], Boolean(clientCa));
  }
  if (!isLoopback(config.grpcHost) && !config.grpcInsecure) {
    throw new ConfigError(
      `LATFLEET_GRPC_HOST=${config.grpcHost}: plaintext gRPC is only served on loopback; set LATFLEET_GRPC_TLS_CERT and LATFLEET_GRPC_TLS_KEY (or LATFLEET_GRPC_INSECURE=true)`,
    );
  }
  return ServerCredentials.createInsecure();
}

export async function startControl(config: LatfleetConfig) {
  const credentials = serverCredentials(config);
  const app = await NestFactory.createMicroservice<GrpcOptions>(ControlModule.forRoot(config), {
    transport: Transport.GRPC,
    logger: logLevels(config.logLevel),
    options: {
      package: LATFLEET_V1_PACKAGE_NAME,
      protoPath: join(protoRoot(), AGENT_SERVICE_PROTO),
      url: `${config.grpcHost}:${config.grpcPort}`,
      loader: protoLoaderOptions(),
      credentials,
      // Agents ping every 10 s to notice dead connections; allow it, even between calls.
      channelOptions: { 'grpc.keepalive_permit_without_calls': 1, 'grpc.http2.min_ping_interval_without_data_ms': 5_000 },
    },
  });
  app.enableShutdownHooks();
  await app.listen();
  return app;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const config = loadConfig();
  await startControl(config);
  process.stdout.write(`latfleet control: gRPC on ${config.grpcHost}:${config.grpcPort}\n`);
}
