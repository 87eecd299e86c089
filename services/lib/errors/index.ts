export * from './error-classes.js';
export * from './grpc-status.js';
export * from './http-status.js';
export * from './latfleet.error.js';
export * from './zod-error.js';
export * from './wire-input.js';
