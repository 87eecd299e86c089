import pkg from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import { LayerAttributor, stripTransformSuffixes } from './attribution.js';
import type { NodeTiming } from './ort-profile.js';

const { onnx } = pkg;

/**
 * How a node of the optimized graph got its layer:
 * - `name`: its own name (after the runtime's suffixes) starts with a layer's name;
 * - `output`: it writes a tensor the builder named (a ReorderOutput restoring `blocks.3.dw.act`);
 * - `producer` / `consumer`: it inherits from the layer that produces its input / consumes its
 *   output (an unnamed HardSigmoid+Mul expanded from a HardSwish, a ReorderInput feeding a conv);
 * - `none`: nothing ties it to a layer: it stays in the '' (unattributed) bucket.
 */
export type LineageSource = 'name' | 'output' | 'producer' | 'consumer' | 'none';

export interface LineageNode {
  /** name in the optimized graph; '' for nodes the runtime left unnamed (the profile calls them `<OpType>_<index>`) */
  name: string;
  opType: string;
  layer: string;
  via: LineageSource;
}

export interface Lineage {
  /** nodes of the optimized graph in its (topological) order: the order a sequential executor runs them */
  nodes: LineageNode[];
  /** runtime node name → layer, for names that occur once in the optimized graph */
  byName: Map<string, string>;
  layerNames: string[];
}

/** Layout ops that exist for the sake of the node after them: they belong to their consumer. */
function prefersConsumer(node: OnnxTypes.INodeProto): boolean {
  if (node.opType === 'ReorderInput') return true;
  if (node.opType === 'Transpose') {
    const perm = node.attribute?.find((a) => a.name === 'perm')?.ints?.map(Number) ?? [];
    return perm.join(',') === '0,2,3,1'; // NCHW → NHWC, into an NHWC kernel
  }
  return false;
}

/** Ops ONNX Runtime fuses into the convolution or matrix product before them (Conv+BN, FusedConv, FusedGemm). */
const FUSED_INTO_PRODUCER = new Set(['BatchNormalization', 'Relu', 'Clip', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'LeakyRelu', 'Tanh']);
const FUSION_HEADS = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);

/**
 * For a model whose layers are its own nodes (an imported model: a node's name, or `<OpType>_<index>`
 * when unnamed), the layer of every tensor: the node that writes it; but a tensor written by an
 * activation or normalization that follows a convolution (or Gemm) alone is the convolution's, since
 * ONNX Runtime fuses them into one kernel named after that last output (`<output>_nchwc`), and the
 * kernel's time belongs with the layer that holds its MAdds.
 */
export function tensorLayersOfModel(model: Uint8Array, layerNames: Iterable<string>): Map<string, string> {
  const nodes = onnx.ModelProto.decode(model).graph?.node ?? [];
  const layers = new Set(layerNames);
  const layerOf = (i: number) => nodes[i]!.name || `${nodes[i]!.opType}_${i}`;
  const producer = new Map<string, number>();
  const uses = new Map<string, number>();
  nodes.forEach((n, i) => {
    for (const t of n.output ?? []) if (t) producer.set(t, i);
    for (const t of n.input ?? []) if (t) uses.set(t, (uses.get(t) ?? 0) + 1);
  });
  const head = (i: number): number => {
    for (let k = i, steps = 0; steps < nodes.length; steps++) {
      const data = nodes[k]!.input?.[0] ?? '';
      const p = producer.get(data);
      if (!FUSED_INTO_PRODUCER.has(nodes[k]!.opType ?? '') || p === undefined || uses.get(data) !== 1) return k;
      if (FUSION_HEADS.has(nodes[p]!.opType ?? '')) return p;
      k = p;
    }
    return i;
  };
  const out = new Map<string, string>();
  nodes.forEach((n, i) => {
    const layer = layerOf(head(i));
    if (layers.has(layer)) for (const t of n.output ?? []) if (t) out.set(t, layer);
  });
  return out;
}

/**
 * Lineage of every node of the graph ONNX Runtime actually runs (the model it writes to
 * `optimizedModelFilePath`) back to the builder's logical layers. Works at every optimization
 * level: names survive fusion and layout transforms with suffixes (`_nchwc`, `_token_<n>`); nodes
 * the runtime creates or leaves unnamed are attributed through the tensors they read and write.
 * `tensorLayers` (tensorLayersOfModel, for a model latfleet did not build) ties a runtime node named
 * after a tensor, and a tensor, to its layer before any name prefix does.
 */
export function buildLineage(optimizedModel: Uint8Array, layerNames: Iterable<string>, tensorLayers: ReadonlyMap<string, string> = new Map()): Lineage {
  const model = onnx.ModelProto.decode(optimizedModel);
  const graph = model.graph;
  if (!graph) throw new Error('optimized model has no graph');
  const layers = [...new Set(layerNames)];
  const names = new LayerAttributor(layers);
  const attributor = { layerOf: (name: string) => tensorLayers.get(stripTransformSuffixes(name)) ?? names.layerOf(name) };
  const graphNodes = graph.node ?? [];
  const constants = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  const producer = new Map<string, number>();
  const consumers = new Map<string, number[]>();
  graphNodes.forEach((n, i) => {
    for (const t of n.output ?? []) if (t) producer.set(t, i);
    for (const t of n.input ?? []) {
      if (!t || constants.has(t)) continue;
      const list = consumers.get(t) ?? [];
      list.push(i);
      consumers.set(t, list);
    }
  });

  const nodes: LineageNode[] = graphNodes.map((n) => {
    const name = n.name ?? '';
    const layer = name ? attributor.layerOf(name) : '';
    if (layer) return { name, opType: n.opType ?? '', layer, via: 'name' };
    const fromOutput = (n.output ?? []).map((t) => attributor.layerOf(t)).find((l) => l !== '');
    return { name, opType: n.opType ?? '', layer: fromOutput ?? '', via: fromOutput ? 'output' : 'none' };
  });

  const tensorLayer = (t: string): string => {
    const p = producer.get(t);
    return (p !== undefined ? nodes[p]!.layer : '') || attributor.layerOf(t);
  };
  const producerLayer = (i: number) =>
    (graphNodes[i]!.input ?? [])
      .filter((t) => t && !constants.has(t))
      .map(tensorLayer)
      .find((l) => l !== '') ?? '';
  const consumerLayer = (i: number) =>
    (graphNodes[i]!.output ?? [])
      .flatMap((t) => consumers.get(t) ?? [])
      .map((c) => nodes[c]!.layer)
      .find((l) => l !== '') ?? '';

  // Chains of runtime nodes (Reorder → Transpose → ...) resolve one link per sweep.
  for (let changed = true; changed;) {
    changed = false;
    nodes.forEach((node, i) => {
      if (node.layer) return;
      const order: Array<['producer' | 'consumer', () => string]> = [
        ['producer', () => producerLayer(i)],
        ['consumer', () => consumerLayer(i)],
      ];
      if (prefersConsumer(graphNodes[i]!)) order.reverse();
      for (const [via, find] of order) {
        const layer = find();
        if (layer) {
          Object.assign(node, { layer, via });
          changed = true;
          return;
        }
      }
    });
  }

  const counts = new Map<string, number>();
  for (const n of nodes) if (n.name) counts.set(n.name, (counts.get(n.name) ?? 0) + 1);
  const byName = new Map(nodes.filter((n) => n.name && counts.get(n.name) === 1).map((n) => [n.name, n.layer]));
  return { nodes, byName, layerNames: layers };
}

const matches = (t: NodeTiming, n: LineageNode) => (n.name ? t.nodeName === n.name : t.nodeName.startsWith(`${n.opType}_`) && /^\d+$/.test(t.nodeName.slice(n.opType.length + 1)));

/**
 * Sets `layer` on every profiled kernel execution. Each run's kernels are matched to the optimized
 * graph's nodes in execution order (which also resolves unnamed and duplicate-named nodes); a
 * kernel that matches no node falls back to its name (lineage, then longest layer prefix), else ''.
 */
export function attributeTimings(timings: readonly NodeTiming[], lineage: Lineage): NodeTiming[] {
  const fallback = new LayerAttributor(lineage.layerNames);
  const out: NodeTiming[] = [];
  let iteration = Number.NaN;
  let cursor = 0;
  for (const t of timings) {
    if (t.iteration !== iteration) {
      iteration = t.iteration;
      cursor = 0;
    }
    let k = cursor;
    while (k < lineage.nodes.length && !matches(t, lineage.nodes[k]!)) k++;
    let layer: string;
    if (k < lineage.nodes.length) {
      layer = lineage.nodes[k]!.layer;
      cursor = k + 1;
    } else {
      layer = lineage.byName.get(t.nodeName) ?? fallback.layerOf(t.nodeName);
    }
    out.push({ ...t, layer });
  }
  return out;
}
