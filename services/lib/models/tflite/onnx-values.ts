import type { onnx as OnnxTypes } from 'onnx-proto';

/** Reading the builder's ONNX graph in memory: initializers' raw data and node attributes. */

type Node = OnnxTypes.INodeProto;
type Initializer = OnnxTypes.ITensorProto;

export function floatsOf(t: Initializer): Float32Array {
  const raw = t.rawData!;
  return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
}

export function int64sOf(t: Initializer): number[] {
  const raw = t.rawData!;
  return Array.from(new BigInt64Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)), Number);
}

export function attr(node: Node, name: string): OnnxTypes.IAttributeProto | undefined {
  return node.attribute?.find((a) => a.name === name);
}

export const ints = (node: Node, name: string, fallback: number[]): number[] => attr(node, name)?.ints?.map(Number) ?? fallback;

export const int = (node: Node, name: string, fallback: number): number => {
  const a = attr(node, name);
  return a?.i === undefined || a.i === null ? fallback : Number(a.i);
};
