export * from './gen/latfleet/v1/agent_service.js';
export type { DeviceFacts, RunEnvironment } from './gen/latfleet/v1/device.js';
export { JobPhase, type JobAssignment, type JobCancellation, type JobStatus, type Protocol, type RoundAssignment } from './gen/latfleet/v1/job.js';
export type { LatencyChunk, LayerChunk, LayerTiming, RunSummary } from './gen/latfleet/v1/result.js';
export * from './proto-path.js';
export * from './protocol-wire.js';
