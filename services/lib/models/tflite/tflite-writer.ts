import { Builder, type Offset } from 'flatbuffers';
import { BuiltinOperator, type BuiltinOperatorName, Slot, TensorType, type TensorTypeName, TFLITE_FILE_IDENTIFIER, TFLITE_SCHEMA_VERSION } from './tflite-schema.js';

export interface TfliteQuantization {
  scale: number[];
  zeroPoint: number[];
  /** the axis the per-channel scales run along */
  quantizedDimension?: number;
}

export interface TfliteTensor {
  name: string;
  shape: number[];
  type: TensorTypeName;
  /** 0: no data (activations) */
  buffer: number;
  quantization?: TfliteQuantization;
}

/** Writes one builtin-options table; runs while no other table is open. */
export type OptionsWriter = (b: Builder) => Offset;

export interface TfliteOperator {
  op: BuiltinOperatorName;
  version: number;
  inputs: number[];
  outputs: number[];
  options?: { type: number; write: OptionsWriter };
}

/** Minimum alignment of constant data, as `Buffer.data`'s `force_align: 16` asks. */
const BUFFER_ALIGNMENT = 16;

const int32Vector = (b: Builder, values: readonly number[]): Offset => {
  b.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) b.addInt32(values[i]!);
  return b.endVector();
};

const offsetVector = (b: Builder, offsets: readonly Offset[]): Offset => {
  b.startVector(4, offsets.length, 4);
  for (let i = offsets.length - 1; i >= 0; i--) b.addOffset(offsets[i]!);
  return b.endVector();
};

/**
 * One-subgraph TFLite model: tensors, constant buffers, operators, metadata. The same calls in the
 * same order give the same bytes.
 */
export class TfliteModelWriter {
  readonly tensors: TfliteTensor[] = [];
  readonly operators: TfliteOperator[] = [];
  /** buffer 0 is the empty buffer every activation tensor points at */
  private readonly buffers: Uint8Array[] = [new Uint8Array(0)];
  private readonly byName = new Map<string, number>();
  private readonly metadata: Array<{ name: string; buffer: number }> = [];

  tensor(name: string, shape: number[], type: TensorTypeName = 'float32', data?: Uint8Array, quantization?: TfliteQuantization): number {
    if (this.byName.has(name)) throw new Error(`duplicate TFLite tensor name ${name}`);
    let buffer = 0;
    if (data) {
      buffer = this.buffers.length;
      this.buffers.push(data);
    }
    this.tensors.push({ name, shape, type, buffer, ...(quantization ? { quantization } : {}) });
    this.byName.set(name, this.tensors.length - 1);
    return this.tensors.length - 1;
  }

  /** A constant created once per name (shared scalars, axes). */
  constant(name: string, shape: number[], type: TensorTypeName, data: () => Uint8Array, quantization?: TfliteQuantization): number {
    return this.byName.get(name) ?? this.tensor(name, shape, type, data(), quantization);
  }

  indexOf(name: string): number | undefined {
    return this.byName.get(name);
  }

  operator(op: TfliteOperator): void {
    this.operators.push(op);
  }

  addMetadata(name: string, value: string): void {
    this.metadata.push({ name, buffer: this.buffers.length });
    this.buffers.push(new TextEncoder().encode(value));
  }

  encode(o: { description: string; subgraph: string; inputs: number[]; outputs: number[] }): Uint8Array {
    const b = new Builder(1 << 16);
    const opcodes: Array<{ op: BuiltinOperatorName; version: number }> = [];
    const opcodeIndex = (op: BuiltinOperatorName, version: number): number => {
      let i = opcodes.findIndex((c) => c.op === op && c.version === version);
      if (i < 0) i = opcodes.push({ op, version }) - 1;
      return i;
    };

    const buffers = this.buffers.map((data) => {
      let dataOffset = 0;
      if (data.length) {
        b.prep(BUFFER_ALIGNMENT, data.length);
        dataOffset = b.createByteVector(data);
      }
      b.startObject(3);
      if (dataOffset) b.addFieldOffset(Slot.Buffer.data, dataOffset, 0);
      return b.endObject();
    });

    const tensors = this.tensors.map((t) => {
      const name = b.createString(t.name);
      const shape = int32Vector(b, t.shape);
      let quantization = 0;
      if (t.quantization) {
        const q = t.quantization;
        const scale = createFloat32Vector(b, q.scale);
        const zeroPoint = createInt64Vector(b, q.zeroPoint);
        b.startObject(7);
        b.addFieldOffset(Slot.QuantizationParameters.scale, scale, 0);
        b.addFieldOffset(Slot.QuantizationParameters.zeroPoint, zeroPoint, 0);
        b.addFieldInt32(Slot.QuantizationParameters.quantizedDimension, q.quantizedDimension ?? 0, 0);
        quantization = b.endObject();
      }
      b.startObject(10);
      b.addFieldOffset(Slot.Tensor.shape, shape, 0);
      b.addFieldInt8(Slot.Tensor.type, TensorType[t.type], 0);
      b.addFieldInt32(Slot.Tensor.buffer, t.buffer, 0);
      b.addFieldOffset(Slot.Tensor.name, name, 0);
      if (quantization) b.addFieldOffset(Slot.Tensor.quantization, quantization, 0);
      b.addFieldInt8(Slot.Tensor.hasRank, 1, 0);
      return b.endObject();
    });

    const operators = this.operators.map((op) => {
      const index = opcodeIndex(op.op, op.version);
      const options = op.options ? op.options.write(b) : 0;
      const inputs = int32Vector(b, op.inputs);
      const outputs = int32Vector(b, op.outputs);
      b.startObject(5);
      b.addFieldInt32(Slot.Operator.opcodeIndex, index, 0);
      b.addFieldOffset(Slot.Operator.inputs, inputs, 0);
      b.addFieldOffset(Slot.Operator.outputs, outputs, 0);
      if (op.options) {
        b.addFieldInt8(Slot.Operator.builtinOptionsType, op.options.type, 0);
        b.addFieldOffset(Slot.Operator.builtinOptions, options, 0);
      }
      return b.endObject();
    });

    const subgraphName = b.createString(o.subgraph);
    const tensorVector = offsetVector(b, tensors);
    const inputVector = int32Vector(b, o.inputs);
    const outputVector = int32Vector(b, o.outputs);
    const operatorVector = offsetVector(b, operators);
    b.startObject(5);
    b.addFieldOffset(Slot.SubGraph.tensors, tensorVector, 0);
    b.addFieldOffset(Slot.SubGraph.inputs, inputVector, 0);
    b.addFieldOffset(Slot.SubGraph.outputs, outputVector, 0);
    b.addFieldOffset(Slot.SubGraph.operators, operatorVector, 0);
    b.addFieldOffset(Slot.SubGraph.name, subgraphName, 0);
    const subgraph = b.endObject();

    const codes = opcodes.map(({ op, version }) => {
      const code = BuiltinOperator[op];
      b.startObject(4);
      // readers before schema 3a only look at the byte field; codes past 127 live in builtin_code alone
      b.addFieldInt8(Slot.OperatorCode.deprecatedBuiltinCode, Math.min(code, 127), 0);
      b.addFieldInt32(Slot.OperatorCode.version, version, 1);
      b.addFieldInt32(Slot.OperatorCode.builtinCode, code, 0);
      return b.endObject();
    });

    const metadata = this.metadata.map((m) => {
      const name = b.createString(m.name);
      b.startObject(2);
      b.addFieldOffset(Slot.Metadata.name, name, 0);
      b.addFieldInt32(Slot.Metadata.buffer, m.buffer, 0);
      return b.endObject();
    });

    const description = b.createString(o.description);
    const codeVector = offsetVector(b, codes);
    const subgraphVector = offsetVector(b, [subgraph]);
    const bufferVector = offsetVector(b, buffers);
    const metadataVector = offsetVector(b, metadata);
    b.startObject(8);
    b.addFieldInt32(Slot.Model.version, TFLITE_SCHEMA_VERSION, 0);
    b.addFieldOffset(Slot.Model.operatorCodes, codeVector, 0);
    b.addFieldOffset(Slot.Model.subgraphs, subgraphVector, 0);
    b.addFieldOffset(Slot.Model.description, description, 0);
    b.addFieldOffset(Slot.Model.buffers, bufferVector, 0);
    b.addFieldOffset(Slot.Model.metadata, metadataVector, 0);
    b.finish(b.endObject(), TFLITE_FILE_IDENTIFIER);
    return b.asUint8Array().slice();
  }
}

function createFloat32Vector(b: Builder, values: readonly number[]): Offset {
  b.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) b.addFloat32(values[i]!);
  return b.endVector();
}

function createInt64Vector(b: Builder, values: readonly number[]): Offset {
  b.startVector(8, values.length, 8);
  for (let i = values.length - 1; i >= 0; i--) b.addInt64(BigInt(values[i]!));
  return b.endVector();
}
