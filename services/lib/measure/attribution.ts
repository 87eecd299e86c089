/** Suffixes ONNX Runtime's graph transforms append to a node's name (NCHWc layout, fusions), possibly several. */
const TRANSFORM_SUFFIX = /(?:_nchwc|_token_\d+)$/;

export function stripTransformSuffixes(name: string): string {
  let stripped = name;
  while (TRANSFORM_SUFFIX.test(stripped)) stripped = stripped.replace(TRANSFORM_SUFFIX, '');
  return stripped;
}

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
    this.layers = [...new Set(layerNames)].filter((l) => l !== '').sort((a, b) => b.length - a.length);
  }

  layerOf(nodeName: string): string {
    const hit = this.cache.get(nodeName);
    if (hit !== undefined) return hit;
    const name = stripTransformSuffixes(nodeName);
    const layer = this.layers.find((l) => name === l || name.startsWith(`${l}.`) || name.startsWith(`${l}_`)) ?? '';
    this.cache.set(nodeName, layer);
    return layer;
  }
}
