import { ByteBuffer } from 'flatbuffers';
import { BuiltinOperator, Slot, TensorType, TFLITE_FILE_IDENTIFIER } from './tflite-schema.js';
import type { TfliteQuantization } from './tflite-writer.js';

export interface TfliteSummary {
  version: number;
  description: string;
  inputs: string[];
  outputs: string[];
  /** `data`: the constant's bytes (a view into the file; empty for activations) */
  tensors: Array<{ name: string; shape: number[]; type: string; bytes: number; data: Uint8Array; quantization?: TfliteQuantization }>;
  operators: Array<{ op: string; version: number; inputs: string[]; outputs: string[] }>;
  metadata: Record<string, string>;
}

const opNames = new Map<number, string>(Object.entries(BuiltinOperator).map(([k, v]) => [v, k]));
const typeNames = new Map<number, string>(Object.entries(TensorType).map(([k, v]) => [v, k]));

/** Reads back what the writer puts in a `.tflite` (names, shapes, ops): enough for tests and for a runner's layer names. */
export function inspectTflite(bytes: Uint8Array): TfliteSummary {
  const bb = new ByteBuffer(bytes);
  if (!bb.__has_identifier(TFLITE_FILE_IDENTIFIER)) throw new Error(`not a TFLite model (no ${TFLITE_FILE_IDENTIFIER} identifier)`);
  const root = bb.readInt32(bb.position()) + bb.position();
  const field = (table: number, slot: number): number => bb.__offset(table, 4 + 2 * slot);
  const string = (table: number, slot: number): string => {
    const o = field(table, slot);
    return o ? (bb.__string(table + o) as string) : '';
  };
  const int = (table: number, slot: number, fallback = 0): number => {
    const o = field(table, slot);
    return o ? bb.readInt32(table + o) : fallback;
  };
  const byte = (table: number, slot: number): number => {
    const o = field(table, slot);
    return o ? bb.readInt8(table + o) : 0;
  };
  // a damaged file's vector may claim more elements than the file holds: refuse it before allocating them
  const vectorLength = (at: number, start: number, stride: number): number => {
    const length = bb.__vector_len(at);
    if (length < 0 || start < 0 || start + length * stride > bytes.length) throw new Error(`a vector at byte ${at} runs past the end of the file`);
    return length;
  };
  const tables = (table: number, slot: number): number[] => {
    const o = field(table, slot);
    if (!o) return [];
    const start = bb.__vector(table + o);
    return Array.from({ length: vectorLength(table + o, start, 4) }, (_, i) => bb.__indirect(start + 4 * i));
  };
  const int32s = (table: number, slot: number): number[] => {
    const o = field(table, slot);
    if (!o) return [];
    const start = bb.__vector(table + o);
    return Array.from({ length: vectorLength(table + o, start, 4) }, (_, i) => bb.readInt32(start + 4 * i));
  };
  const numbers = (table: number, slot: number, stride: 4 | 8, read: (at: number) => number): number[] => {
    const o = field(table, slot);
    if (!o) return [];
    const start = bb.__vector(table + o);
    return Array.from({ length: vectorLength(table + o, start, stride) }, (_, i) => read(start + stride * i));
  };
  const quantization = (tensor: number): TfliteQuantization | undefined => {
    const o = field(tensor, Slot.Tensor.quantization);
    if (!o) return undefined;
    const q = bb.__indirect(tensor + o);
    const scale = numbers(q, Slot.QuantizationParameters.scale, 4, (at) => bb.readFloat32(at));
    if (scale.length === 0) return undefined;
    return {
      scale,
      zeroPoint: numbers(q, Slot.QuantizationParameters.zeroPoint, 8, (at) => Number(bb.readInt64(at))),
      quantizedDimension: int(q, Slot.QuantizationParameters.quantizedDimension),
    };
  };
  const bytesOf = (table: number, slot: number): Uint8Array => {
    const o = field(table, slot);
    if (!o) return new Uint8Array(0);
    const start = bb.__vector(table + o);
    return bytes.subarray(start, start + vectorLength(table + o, start, 1));
  };

  const buffers = tables(root, Slot.Model.buffers).map((t) => bytesOf(t, Slot.Buffer.data));
  const codes = tables(root, Slot.Model.operatorCodes).map((t) => ({
    op: Math.max(int(t, Slot.OperatorCode.builtinCode), byte(t, Slot.OperatorCode.deprecatedBuiltinCode)),
    version: int(t, Slot.OperatorCode.version, 1),
  }));
  const subgraph = tables(root, Slot.Model.subgraphs)[0]!;
  const tensors = tables(subgraph, Slot.SubGraph.tensors).map((t) => {
    const q = quantization(t);
    const data = buffers[int(t, Slot.Tensor.buffer)] ?? new Uint8Array(0);
    return {
      name: string(t, Slot.Tensor.name),
      shape: int32s(t, Slot.Tensor.shape),
      type: typeNames.get(byte(t, Slot.Tensor.type)) ?? `type ${byte(t, Slot.Tensor.type)}`,
      bytes: data.length,
      data,
      ...(q ? { quantization: q } : {}),
    };
  });
  const nameOf = (i: number) => tensors[i]?.name ?? '';
  const operators = tables(subgraph, Slot.SubGraph.operators).map((t) => {
    const code = codes[int(t, Slot.Operator.opcodeIndex)]!;
    return {
      op: opNames.get(code.op) ?? `op ${code.op}`,
      version: code.version,
      inputs: int32s(t, Slot.Operator.inputs).map(nameOf),
      outputs: int32s(t, Slot.Operator.outputs).map(nameOf),
    };
  });
  const decoder = new TextDecoder();
  const metadata = Object.fromEntries(
    tables(root, Slot.Model.metadata).map((t) => [string(t, Slot.Metadata.name), decoder.decode(buffers[int(t, Slot.Metadata.buffer)] ?? new Uint8Array(0))]),
  );
  return {
    version: int(root, Slot.Model.version),
    description: string(root, Slot.Model.description),
    inputs: int32s(subgraph, Slot.SubGraph.inputs).map(nameOf),
    outputs: int32s(subgraph, Slot.SubGraph.outputs).map(nameOf),
    tensors,
    operators,
    metadata,
  };
}
