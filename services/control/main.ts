import 'reflect-metadata';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { Transport, type GrpcOptions } from '@nestjs/microservices';
import { loadConfig, logLevels, type LatfleetConfig } from '../lib/config/index.js';
import { AGENT_SERVICE_PROTO, LATFLEET_V1_PACKAGE_NAME, protoLoaderOptions, protoRoot } from '../lib/proto/index.js';
import { ControlModule } from './control.module.js';

export async function startControl(config: LatfleetConfig) {
  const app = await NestFactory.createMicroservice<GrpcOptions>(ControlModule.forRoot(config), {
    transport: Transport.GRPC,
    logger: logLevels(config.logLevel),
    options: {
      package: LATFLEET_V1_PACKAGE_NAME,
      protoPath: join(protoRoot(), AGENT_SERVICE_PROTO),
      url: `${config.grpcHost}:${config.grpcPort}`,
      loader: protoLoaderOptions(),
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
