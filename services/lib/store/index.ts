export * from './data-source.js';
export * from './embedded-postgres.js';
export * from './entities/index.js';
export * from './store.module.js';
export * from './returning.js';
export * from './study-cancellation.js';
export * from './study-rounds.js';
export * from './device-reproducibility.js';
