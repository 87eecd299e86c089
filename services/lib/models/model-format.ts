/** The formats latfleet stores models in: ONNX (ONNX Runtime) and TFLite (LiteRT, benchmark_model). */
export const MODEL_FORMATS = ['onnx', 'tflite'] as const;
export type ModelFormat = (typeof MODEL_FORMATS)[number];

/**
 * A format's name as agents announce it and studies ask for it: latfleet's own (MODEL_FORMATS) or a
 * vendor's (`rknn`, …), whose files users compile from a variant and attach to it.
 */
export const FORMAT_NAME = /^[a-z0-9][a-z0-9_.-]{0,31}$/;

/** Whether latfleet builds this format itself (otherwise a variant is measured in it from an attached artifact). */
export const isBuiltFormat = (format: string): format is ModelFormat => (MODEL_FORMATS as readonly string[]).includes(format);

/** A TFLite flatbuffer carries the file identifier `TFL3` at bytes 4..8; anything else is taken for ONNX (protobuf has no magic). */
export function formatOfBytes(head: Uint8Array): ModelFormat {
  return head.length >= 8 && Buffer.from(head.buffer, head.byteOffset + 4, 4).toString('latin1') === 'TFL3' ? 'tflite' : 'onnx';
}
