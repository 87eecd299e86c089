import { parentPort, workerData } from 'node:worker_threads';
import { buildAll, builtBytes, type BuildRequest } from './model-builder.js';

/** Builds off the query service's event loop: the same builders, the model bytes transferred back. */
const { requests } = workerData as { requests: BuildRequest[] };
const answer = buildAll(requests);
const buffers = answer.ok ? answer.built.map((b) => builtBytes(b).buffer as ArrayBuffer) : [];
parentPort!.postMessage(answer, [...new Set(buffers)]);
