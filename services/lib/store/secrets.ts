import { createHash, randomBytes } from 'node:crypto';

/**
 * How the fleet stores a secret it hands out (an agent's credential, an enrollment token): only
 * this hash, hex-encoded, never the secret. One definition for control and query.
 */
export function secretHash(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** A new random secret: `bytes` random bytes, base64url, after an optional prefix (`lfe_` for enrollment tokens). */
export function newSecret(bytes: number, prefix = ''): string {
  return `${prefix}${randomBytes(bytes).toString('base64url')}`;
}
