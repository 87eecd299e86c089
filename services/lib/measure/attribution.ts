/** Suffixes ONNX Runtime's graph transforms append to a node's name (NCHWc layout, fusions). */
const TRANSFORM_SUFFIXES = [/_nchwc$/, /_token_\d+$/];

/**
 * Maps runtime node names back to the builder's logical layers by longest name prefix: the builder
 * names every node `<layer>` or `<layer>.<part>`, and the runtime keeps the first node's name when it
 * fuses (Conv+Relu → FusedConv) or appends a suffix when it re-lays out (`<name>_nchwc`).
 * Nodes the runtime inserts itself (e.g. `ReorderOutput`) have no layer: ''.
 */
export class LayerAttributor {
  private readonly layers: string[];
  private readonly cache = new Map<string, string>();

  constructor(layerNames: Iterable<string>) {
    this.layers = [...new Set(layerNames)].sort((a, b) => b.length - a.length);
  }

  layerOf(nodeName: string): string {
    const hit = this.cache.get(nodeName);
    if (hit !== undefined) return hit;
    const name = TRANSFORM_SUFFIXES.reduce((n, re) => n.replace(re, ''), nodeName);
    const layer = this.layers.find((l) => name === l || name.startsWith(`${l}.`) || name.startsWith(`${l}_`)) ?? '';
    this.cache.set(nodeName, layer);
    return layer;
  }
}
