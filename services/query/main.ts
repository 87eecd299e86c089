import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { loadConfig, logLevels, type LatfleetConfig } from '../lib/config/index.js';
import { QueryModule } from './query.module.js';

export async function startQuery(config: LatfleetConfig) {
  const app = await NestFactory.create<NestExpressApplication>(QueryModule.forRoot(config), { logger: logLevels(config.logLevel) });
  app.useBodyParser('json', { limit: '1mb' });
  app.disable('x-powered-by');
  app.enableShutdownHooks();
  await app.listen(config.httpPort, config.httpHost);
  return app;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const config = loadConfig();
  await startQuery(config);
  process.stdout.write(`latfleet query: HTTP on http://${config.httpHost}:${config.httpPort}\n`);
}
