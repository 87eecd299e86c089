export { onnxToTflite } from './onnx-to-tflite.js';
export { inspectTflite } from './tflite-reader.js';
export type { TfliteSummary } from './tflite-reader.js';
export { TFLITE_SCHEMA_VERSION } from './tflite-schema.js';
