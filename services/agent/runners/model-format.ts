import { openSync, readSync, closeSync } from 'node:fs';
import { extname } from 'node:path';

export type ModelFormat = 'onnx' | 'tflite';

/**
 * ONNX or TFLite, by extension and else by content: a TFLite flatbuffer carries the file identifier
 * `TFL3` at bytes 4..8 (the agent's model cache names every file `<sha256>.onnx`).
 */
export function modelFormat(path: string): ModelFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.tflite') return 'tflite';
  const head = Buffer.alloc(8);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, 8, 0);
  } finally {
    closeSync(fd);
  }
  return head.subarray(4, 8).toString('latin1') === 'TFL3' ? 'tflite' : 'onnx';
}
