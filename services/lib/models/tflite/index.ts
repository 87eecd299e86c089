export { onnxToTflite } from './onnx-to-tflite.js';
export { calibrate, CALIBRATION_SAMPLES } from './int8-quantization.js';
export { inspectTflite } from './tflite-reader.js';
export type { TfliteSummary } from './tflite-reader.js';
export { TFLITE_SCHEMA_VERSION } from './tflite-schema.js';
