/** The formats latfleet stores models in: ONNX (ONNX Runtime) and TFLite (LiteRT, benchmark_model). */
export const MODEL_FORMATS = ['onnx', 'tflite'] as const;
export type ModelFormat = (typeof MODEL_FORMATS)[number];

/** A TFLite flatbuffer carries the file identifier `TFL3` at bytes 4..8; anything else is taken for ONNX (protobuf has no magic). */
export function formatOfBytes(head: Uint8Array): ModelFormat {
  return head.length >= 8 && Buffer.from(head.buffer, head.byteOffset + 4, 4).toString('latin1') === 'TFL3' ? 'tflite' : 'onnx';
}
