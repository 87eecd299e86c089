import { splitmix32 } from '../measure/seeded-random.js';

export { splitmix32 };

/** 32-bit FNV-1a: a stable per-tensor salt, so adding a layer does not reshuffle every other tensor. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export function tensorRng(seed: number, tensorName: string): () => number {
  return splitmix32(Math.imul(seed ^ 0x5bd1e995, 0x27d4eb2d) ^ fnv1a(tensorName));
}

/** Uniform in [-limit, limit]: variance limit^2 / 3. */
export function uniformFloats(count: number, limit: number, rng: () => number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (2 * rng() - 1) * limit;
  return out;
}

export function uniformInts(count: number, low: number, high: number, rng: () => number, Target: Int8ArrayConstructor | Int32ArrayConstructor): Int8Array | Int32Array {
  const out = new Target(count);
  const span = high - low + 1;
  for (let i = 0; i < count; i++) out[i] = low + Math.floor(rng() * span);
  return out;
}
