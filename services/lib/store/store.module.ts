import { Global, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CONFIG, type LatfleetConfig } from '../config/config.js';
import { createDataSource, migrate } from './data-source.js';

/** Provides the process's DataSource (migrated) to every repository. */
@Global()
@Module({
  providers: [
    {
      provide: DataSource,
      inject: [CONFIG],
      useFactory: async (config: LatfleetConfig) => {
        if (!config.databaseUrl) {
          throw new Error('DATABASE_URL="" : required here (`latfleet up` starts an embedded Postgres and sets it)');
        }
        const ds = createDataSource(config.databaseUrl);
        await ds.initialize();
        await migrate(ds);
        return ds;
      },
    },
  ],
  exports: [DataSource],
})
export class StoreModule implements OnApplicationShutdown {
  constructor(@Inject(DataSource) private readonly ds: DataSource) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.ds.isInitialized) await this.ds.destroy();
  }
}
