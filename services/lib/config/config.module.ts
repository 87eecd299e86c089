import { Global, Module, type DynamicModule } from '@nestjs/common';
import { CONFIG, type LatfleetConfig } from './config.js';

@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: LatfleetConfig): DynamicModule {
    return { module: ConfigModule, providers: [{ provide: CONFIG, useValue: config }], exports: [CONFIG] };
  }
}
