import type { Request } from 'express';
import { ErrorCode, LatfleetError } from '../lib/errors/index.js';

/**
 * A request's raw body, refused with 413 as soon as it passes `limitBytes` (by its Content-Length,
 * else while it streams): an oversized upload is never held whole in memory. The rest of a refused
 * body is read and dropped, so that the connection stays open for the answer.
 */
export function readRawBody(req: Request, limitBytes: number, limitName: string): Promise<Buffer> {
  const tooLarge = () => new LatfleetError(ErrorCode.ResourceExhausted, `file: larger than ${limitName}`, 'file');
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limitBytes) {
      req.resume();
      return reject(tooLarge());
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limitBytes) return void chunks.push(chunk);
      req.off('data', onData);
      req.off('end', onEnd);
      chunks.length = 0;
      req.resume();
      reject(tooLarge());
    };
    const onEnd = () => resolve(Buffer.concat(chunks));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', reject);
  });
}
