import { openSync, readSync, closeSync } from 'node:fs';
import { extname } from 'node:path';
import { formatOfBytes, type ModelFormat } from '../../lib/models/index.js';

export type { ModelFormat };

/**
 * ONNX or TFLite, by extension and else by content (the agent's model cache names every file
 * `<sha256>.onnx`; formatOfBytes: TFLite's `TFL3` identifier).
 */
export function modelFormat(path: string): ModelFormat {
  if (extname(path).toLowerCase() === '.tflite') return 'tflite';
  const head = Buffer.alloc(8);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, head, 0, 8, 0);
  } finally {
    closeSync(fd);
  }
  return formatOfBytes(head);
}
