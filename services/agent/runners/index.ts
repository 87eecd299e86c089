export * from './android-adb.runner.js';
export * from './command.runner.js';
export * from './runner.error.js';
export { ProcessSpawner } from './process-spawner.js';
export { parseOrtPerfTestResultFile, parseOrtPerfTestStdout } from './ort-perf-test-output.js';
export { parseTfliteBenchmarkOutput } from './tflite-benchmark-output.js';
export { parseTfliteOpProfile, tfliteNodeTimings } from './tflite-profile.js';
export { parseRknnPerfDetail, rknnNodeTimings, rknnRunDurationsNs } from './rknn-profile.js';
export { parseRknnBenchmarkOutput } from './rknn-benchmark-output.js';
