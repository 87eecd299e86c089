import { endianness } from 'node:os';
import pkg from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';

const { onnx } = pkg;

export const ONNX_IR_VERSION = 8;
export const ONNX_OPSET = 17;

export const DataType = {
  float: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
} as const;
export type DataTypeName = keyof typeof DataType;

export type TensorData = Float32Array | Int8Array | Uint8Array | Int32Array | BigInt64Array;

/** Attribute values: integers and integer lists map to INT/INTS, `{ float }` to FLOAT, strings to STRING. */
export type AttributeValue = number | number[] | string | { float: number };

export interface GraphOptions {
  name: string;
  /** false: nodes, names and shapes only (describe); no weight is generated. */
  withWeights: boolean;
  metadata?: Record<string, string>;
}

const littleEndianHost = endianness() === 'LE';

function rawBytes(data: TensorData): Uint8Array {
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (littleEndianHost || data.BYTES_PER_ELEMENT === 1) return view;
  const swapped = new Uint8Array(view);
  for (let i = 0; i < swapped.length; i += data.BYTES_PER_ELEMENT) swapped.subarray(i, i + data.BYTES_PER_ELEMENT).reverse();
  return swapped;
}

function attribute(name: string, value: AttributeValue): OnnxTypes.IAttributeProto {
  const { AttributeType } = onnx.AttributeProto;
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: AttributeType.INTS, ints: value };
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`attribute ${name}: ${value} is not an integer; use { float }`);
    return { name, type: AttributeType.INT, i: value };
  }
  return { name, type: AttributeType.FLOAT, f: value.float };
}

function valueInfo(name: string, elemType: number, dims: number[]): OnnxTypes.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((dimValue) => ({ dimValue })) } } },
  };
}

/**
 * A minimal ONNX graph writer. Every node's output tensor carries the node's name unless told
 * otherwise, so that runtime profiles (which name kernels by node, or by output after layout
 * transforms) map back to the builder's layer names.
 */
export class OnnxGraph {
  private readonly nodes: OnnxTypes.INodeProto[] = [];
  private readonly initializers: OnnxTypes.ITensorProto[] = [];
  private readonly inputs: OnnxTypes.IValueInfoProto[] = [];
  private readonly outputs: OnnxTypes.IValueInfoProto[] = [];
  private readonly names = new Set<string>();

  constructor(readonly options: GraphOptions) {}

  get nodeNames(): string[] {
    return this.nodes.map((n) => n.name ?? '');
  }

  get nodeCount(): number {
    return this.nodes.length;
  }

  input(name: string, dims: number[], type: DataTypeName = 'float'): string {
    this.claim(name);
    this.inputs.push(valueInfo(name, DataType[type], dims));
    return name;
  }

  output(name: string, dims: number[], type: DataTypeName = 'float'): void {
    this.outputs.push(valueInfo(name, DataType[type], dims));
  }

  /** Returns the (first) output name; outputs default to the node's own name. */
  node(opType: string, name: string, inputs: string[], attributes: Record<string, AttributeValue> = {}, output: string | string[] = name): string {
    const outputs = typeof output === 'string' ? [output] : output;
    this.claim(name);
    for (const o of outputs) if (o !== name) this.claim(o);
    this.nodes.push({
      name,
      opType,
      input: inputs,
      output: outputs,
      attribute: Object.entries(attributes).map(([key, value]) => attribute(key, value)),
    });
    return outputs[0]!;
  }

  /** `generate` runs only when the graph carries weights. */
  initializer(name: string, type: DataTypeName, dims: number[], generate: () => TensorData): string {
    this.claim(name);
    const tensor: OnnxTypes.ITensorProto = { name, dataType: DataType[type], dims };
    if (this.options.withWeights) {
      const data = generate();
      const expected = dims.reduce((a, b) => a * b, 1);
      if (data.length !== expected) throw new Error(`initializer ${name}: ${data.length} values for dims [${dims.join(',')}]`);
      tensor.rawData = rawBytes(data);
    }
    this.initializers.push(tensor);
    return name;
  }

  /** A shared constant, created once per name. */
  constant(name: string, type: DataTypeName, dims: number[], values: () => TensorData): string {
    if (this.names.has(name)) return name;
    return this.initializer(name, type, dims, values);
  }

  has(name: string): boolean {
    return this.names.has(name);
  }

  toModel(): OnnxTypes.ModelProto {
    return onnx.ModelProto.create({
      irVersion: ONNX_IR_VERSION,
      opsetImport: [{ domain: '', version: ONNX_OPSET }],
      producerName: 'latfleet',
      producerVersion: '1',
      graph: {
        name: this.options.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
      metadataProps: Object.entries(this.options.metadata ?? {}).map(([key, value]) => ({ key, value })),
    });
  }

  encode(): Uint8Array {
    if (!this.options.withWeights) throw new Error('graph built without weights cannot be encoded');
    return onnx.ModelProto.encode(this.toModel()).finish();
  }

  private claim(name: string): void {
    if (this.names.has(name)) throw new Error(`duplicate tensor or node name ${name}`);
    this.names.add(name);
  }
}

export interface ModelSummary {
  opset: number;
  inputs: string[];
  outputs: string[];
  nodes: Array<{ name: string; opType: string; inputs: string[]; outputs: string[] }>;
  initializers: Array<{ name: string; dataType: number; dims: number[]; bytes: number }>;
  metadata: Record<string, string>;
}

/** Decodes a serialized model into plain data (names, ops, initializer sizes). */
export function inspectModel(bytes: Uint8Array): ModelSummary {
  const model = onnx.ModelProto.decode(bytes);
  const graph = (model.graph ?? onnx.GraphProto.create()) as OnnxTypes.GraphProto;
  return {
    opset: Number(model.opsetImport.find((o) => !o.domain)?.version ?? 0),
    inputs: graph.input.map((i) => i.name ?? ''),
    outputs: graph.output.map((o) => o.name ?? ''),
    nodes: graph.node.map((n) => ({ name: n.name ?? '', opType: n.opType ?? '', inputs: [...(n.input ?? [])], outputs: [...(n.output ?? [])] })),
    initializers: graph.initializer.map((t) => ({
      name: t.name ?? '',
      dataType: t.dataType ?? 0,
      dims: (t.dims ?? []).map(Number),
      bytes: t.rawData?.length ?? 0,
    })),
    metadata: Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value])),
  };
}
