import { RequestMethod, type Type } from '@nestjs/common';
import { HTTP_CODE_METADATA, METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import { z } from 'zod';
import { PUBLIC } from './api-key.guard.js';
import { API_ROUTE, type ApiRouteDoc } from './api-route.decorator.js';
import { errorBody } from './contract.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

type JsonSchema = Record<string, unknown>;

/** One handler as Nest routes it, with what its decorators say of it. */
export interface Route {
  method: string;
  /** OpenAPI form: `/api/v1/studies/{id}` */
  path: string;
  /** `Controller.handler`, to name an undocumented one */
  handler: string;
  /** the status Nest answers with (@HttpCode, else 201 for POST and 200 otherwise) */
  status: number;
  open: boolean;
  doc: ApiRouteDoc | undefined;
  query: z.ZodType | undefined;
  body: z.ZodType | undefined;
}

const joinPath = (...parts: string[]) =>
  '/' +
  parts
    .map((p) => p.replace(/^\/|\/$/g, ''))
    .filter(Boolean)
    .join('/');

/** The schema a `@Query(new ZodValidationPipe(schema))` or `@Body(…)` parameter validates with. */
function validatedBy(controller: Type, name: string, paramtype: RouteParamtypes): z.ZodType | undefined {
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, name) ?? {}) as Record<string, { data?: unknown; pipes?: unknown[] }>;
  const arg = Object.entries(args).find(([key, a]) => key.split(':')[0] === String(paramtype) && a.data === undefined)?.[1];
  return arg?.pipes?.find((p): p is ZodValidationPipe<z.ZodType> => p instanceof ZodValidationPipe)?.schema;
}

/** Every route the controllers declare, read from Nest's own metadata. */
export function routesOf(controllers: readonly Type[]): Route[] {
  return controllers.flatMap((controller) => {
    const prefix = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
    const proto = controller.prototype as Record<string, unknown>;
    return Object.getOwnPropertyNames(proto).flatMap((name) => {
      const handler = proto[name];
      if (typeof handler !== 'function' || !Reflect.hasMetadata(METHOD_METADATA, handler)) return [];
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
      const status = (Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined) ?? (method === 'POST' ? 201 : 200);
      return [
        {
          method,
          path: joinPath(prefix, String(Reflect.getMetadata(PATH_METADATA, handler) ?? '')).replace(/:(\w+)/g, '{$1}'),
          handler: `${controller.name}.${name}`,
          status,
          open: Reflect.getMetadata(PUBLIC, handler) === true || Reflect.getMetadata(PUBLIC, controller) === true,
          doc: Reflect.getMetadata(API_ROUTE, handler) as ApiRouteDoc | undefined,
          query: validatedBy(controller, name, RouteParamtypes.QUERY),
          body: validatedBy(controller, name, RouteParamtypes.BODY),
        },
      ];
    });
  });
}

/**
 * zod → JSON Schema 2020-12 (OpenAPI 3.1's dialect). Named schemas (`.meta({ id })`, contract.ts)
 * become components referenced by `$ref`; zod's safe-integer bounds on every int are left out.
 */
class SchemaConverter {
  readonly components: Record<string, JsonSchema> = {};

  convert(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
    const {
      $schema: _dialect,
      $defs,
      ...rest
    } = z.toJSONSchema(schema, {
      io,
      unrepresentable: 'any',
      override: ({ jsonSchema: s }) => {
        if (s.minimum === Number.MIN_SAFE_INTEGER) delete s.minimum;
        if (s.maximum === Number.MAX_SAFE_INTEGER) delete s.maximum;
      },
    }) as JsonSchema & { $defs?: Record<string, JsonSchema> };
    for (const [id, def] of Object.entries($defs ?? {})) this.components[id] = toComponentRefs(def);
    return toComponentRefs(rest);
  }
}

const toComponentRefs = (s: JsonSchema): JsonSchema => JSON.parse(JSON.stringify(s).replaceAll('"#/$defs/', '"#/components/schemas/')) as JsonSchema;

function parameters(route: Route, schemas: SchemaConverter): JsonSchema[] {
  const path = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
  if (!route.query) return path;
  const query = schemas.convert(route.query, 'input') as { properties?: Record<string, JsonSchema & { description?: string }>; required?: string[] };
  return [
    ...path,
    ...Object.entries(query.properties ?? {}).map(([name, s]) => ({
      name,
      in: 'query',
      required: query.required?.includes(name) ?? false,
      ...(s.description ? { description: s.description } : {}),
      schema: s,
    })),
  ];
}

function responses(route: Route, doc: ApiRouteDoc, schemas: SchemaConverter): JsonSchema {
  const content =
    typeof doc.answer === 'string'
      ? { [doc.answer]: { schema: { type: 'string' } } }
      : { 'application/json': { schema: schemas.convert(doc.answer, 'output') }, ...(doc.csv ? { 'text/csv': { schema: { type: 'string' } } } : {}) };
  const ok = typeof doc.ok === 'string' ? { [route.status]: doc.ok } : doc.ok;
  const error = { 'application/json': { schema: schemas.convert(errorBody, 'output') } };
  return {
    ...Object.fromEntries(Object.entries(ok).map(([status, description]) => [status, { description, content }])),
    ...Object.fromEntries(Object.entries(doc.errors ?? {}).map(([status, description]) => [status, { description, content: error }])),
  };
}

function requestBody(route: Route, doc: ApiRouteDoc, schemas: SchemaConverter): JsonSchema | undefined {
  const body = route.body ?? doc.body;
  if (body === undefined) return undefined;
  if (body === 'application/octet-stream') return { required: true, content: { [body]: { schema: { type: 'string', format: 'binary' } } } };
  return { required: true, content: { 'application/json': { schema: schemas.convert(body, 'input') } } };
}

/**
 * OpenAPI 3.1 of the query service, generated: paths, methods and statuses from Nest's route
 * metadata, query parameters and bodies from the zod schemas that validate them, answers from the
 * contract's schemas each handler names (`@ApiRoute`). A handler without `@ApiRoute` is an error.
 */
export function openApiDocument(controllers: readonly Type[]): JsonSchema {
  const schemas = new SchemaConverter();
  const paths: Record<string, Record<string, JsonSchema>> = {};
  const routes = routesOf(controllers);
  const undocumented = routes.filter((r) => !r.doc).map((r) => `${r.method} ${r.path} (${r.handler})`);
  if (undocumented.length) throw new Error(`routes without @ApiRoute, so without a documented answer: ${undocumented.join(', ')}`);
  for (const route of routes) {
    const doc = route.doc!;
    const method = route.method.toLowerCase();
    const body = requestBody(route, doc, schemas);
    paths[route.path] ??= {};
    paths[route.path]![method] = {
      tags: [doc.tag],
      summary: doc.summary,
      ...(doc.description ? { description: doc.description } : {}),
      operationId: `${method}${route.path.replace(/[{}]/g, '').replace(/[^a-zA-Z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
      parameters: parameters(route, schemas),
      ...(route.open ? { security: [] } : {}),
      ...(body ? { requestBody: body } : {}),
      responses: responses(route, doc, schemas),
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'latfleet query API',
      version: '1',
      description:
        'Measured latency of CNN variants on real devices: comparisons, ablation tables, per-layer deltas, reward, Pareto fronts. ' +
        'Errors: {"error": {"code", "reason", "message", "field"?}}. Write endpoints need an API key (LATFLEET_API_KEYS), read endpoints too when LATFLEET_API_READ=key.',
    },
    security: [{ bearer: [] }, { apiKeyHeader: [] }],
    paths,
    components: {
      schemas: Object.fromEntries(Object.entries(schemas.components).sort(([a], [b]) => a.localeCompare(b))),
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-Api-Key' } },
    },
  };
}
