import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { modelFormat } from './model-format.js';

describe(modelFormat.name, () => {
  let dir: string;
  const file = (name: string, bytes: Buffer) => {
    writeFileSync(join(dir, name), bytes);
    return join(dir, name);
  };
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'latfleet-model-format-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('recognises a TFLite flatbuffer by its TFL3 identifier whatever the file is called', () => {
    expect(modelFormat(file('abc.onnx', Buffer.concat([Buffer.from([0x1c, 0, 0, 0]), Buffer.from('TFL3'), Buffer.alloc(8)])))).toBe('tflite');
  });

  it('trusts a .tflite extension', () => {
    expect(modelFormat(file('m.tflite', Buffer.alloc(4)))).toBe('tflite');
  });

  it('takes anything else for ONNX', () => {
    expect(modelFormat(file('m.onnx', Buffer.from([0x08, 0x07, 0x12, 0x07, 0x70, 0x79, 0x74, 0x6f])))).toBe('onnx');
    expect(modelFormat(file('tiny.onnx', Buffer.alloc(2)))).toBe('onnx');
  });
});
