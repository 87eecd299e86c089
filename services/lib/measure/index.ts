export * from './protocol.js';
export * from './attribution.js';
export * from './ort-profile.js';
export * from './stats.js';
