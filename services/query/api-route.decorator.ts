import { SetMetadata } from '@nestjs/common';
import type { z } from 'zod';

/** Answers that are text, by content type. */
export type TextAnswer = 'text/html' | 'text/plain' | 'image/svg+xml';

/** What the OpenAPI document says of one route beyond what Nest knows (path, method, status, validated query and body). */
export interface ApiRouteDoc<A extends z.ZodType | TextAnswer = z.ZodType | TextAnswer> {
  tag: string;
  summary: string;
  description?: string;
  /** the answer's schema (services/query/contract.ts), or a text answer's content type */
  answer: A;
  /** what the answer is; keyed by status when a handler answers with more than one (Nest's status first) */
  ok: string | Record<number, string>;
  /** `format=csv` answers text/csv instead */
  csv?: boolean;
  /** a body the handler reads itself, not through a validation pipe: its schema or content type */
  body?: z.ZodType | 'application/octet-stream';
  /** failures by status: when they happen (every one answers the Error schema) */
  errors?: Record<number, string>;
}

export const API_ROUTE = 'latfleet:api-route';

type Answer<A, C> = (A extends z.ZodType ? z.output<A> : string) | (C extends true ? string : never);

/** Optional fields compared without their `| undefined` (zod's `.optional()` adds it; an interface's `?` need not). */
type Normalized<T> = T extends readonly (infer U)[] ? Normalized<U>[] : T extends object ? { [K in keyof T]: Normalized<Exclude<T[K], undefined>> } : T;
/** The same type both ways: no field more, none less, none of another type, at any depth. */
type Same<X, Y> = [Normalized<X>] extends [Normalized<Y>] ? ([Normalized<Y>] extends [Normalized<X>] ? true : false) : false;

/**
 * Documents a handler in the generated OpenAPI document. The handler's return type must be the
 * schema's exactly (string for text, or with `csv`), so that the document cannot promise what the
 * code does not return nor leave out what it does: a difference does not compile.
 */
export function ApiRoute<const A extends z.ZodType | TextAnswer, const C extends boolean = false>(doc: ApiRouteDoc<A> & { csv?: C }) {
  const set = SetMetadata(API_ROUTE, doc);
  return <P extends unknown[], R>(
    target: object,
    key: string | symbol,
    descriptor: { value?: (...args: P) => R } & (Same<Awaited<R>, Answer<A, C>> extends true ? unknown : { 'the handler answers another type than its schema': Answer<A, C> }),
  ): void => {
    set(target, key, descriptor as PropertyDescriptor);
  };
}

/** The failures most routes share. */
export const INVALID = { 400: 'invalid parameter; `error.field` names it' } as const;
export const NOT_FOUND = { 404: 'unknown id' } as const;
export const UNAUTHENTICATED = { 401: 'API key missing or not valid' } as const;
