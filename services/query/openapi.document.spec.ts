import { readFileSync } from 'node:fs';
import { Controller, Get, Post } from '@nestjs/common';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ApiRoute } from './api-route.decorator.js';
import { deviceRef } from './contract.js';
import { openApiDocument, routesOf } from './openapi.document.js';
import { QUERY_CONTROLLERS } from './query.module.js';

type Operation = { parameters: Array<{ name: string; in: string; required: boolean }>; responses: Record<string, { content?: Record<string, { schema: object }> }> };
type Document = { openapi: string; paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, object> } };

/** Every `$ref` in a JSON value. */
const refsIn = (value: unknown): string[] =>
  Array.isArray(value)
    ? value.flatMap(refsIn)
    : value && typeof value === 'object'
      ? Object.entries(value).flatMap(([k, v]) => (k === '$ref' && typeof v === 'string' ? [v] : refsIn(v)))
      : [];

describe(openApiDocument.name, () => {
  const sut = openApiDocument(QUERY_CONTROLLERS) as Document;

  it('describes exactly the routes the controllers serve, as Nest routes them', () => {
    const documented = Object.entries(sut.paths)
      .flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    const served = routesOf(QUERY_CONTROLLERS)
      .map((r) => `${r.method} ${r.path}`)
      .sort();

    expect(documented).toEqual(served);
    expect(documented.length).toBeGreaterThanOrEqual(38);
  });

  it('gives every route a documented answer', () => {
    for (const [path, methods] of Object.entries(sut.paths))
      for (const [method, op] of Object.entries(methods)) {
        const ok = Object.entries(op.responses).filter(([status]) => status.startsWith('2'));
        expect(ok.length, `${method} ${path}`).toBeGreaterThan(0);
        for (const [, r] of ok) expect(Object.keys(r.content ?? {}), `${method} ${path}`).not.toEqual([]);
      }
  });

  it('refuses a route without @ApiRoute, naming it', () => {
    @Controller('x')
    class Undocumented {
      @ApiRoute({ tag: 't', summary: 's', answer: deviceRef, ok: 'a device' })
      @Get()
      documented() {
        return { id: 'a', name: 'b', deviceClass: 'vm' };
      }

      @Post(':id')
      forgotten() {
        return {};
      }
    }

    expect(() => openApiDocument([Undocumented])).toThrow('POST /x/{id} (Undocumented.forgotten)');
  });

  it('is a valid OpenAPI 3.1 document, by the OpenAPI Initiative’s own schema', () => {
    // Ajv resolves the schema's `$dynamicRef: #meta` (for dialect extensions, which this document has none of) like a `$ref`.
    const oas = readFileSync(new URL('../../test/support/schemas/openapi-3.1.schema.json', import.meta.url), 'utf8').replaceAll(
      '"$dynamicRef": "#meta"',
      '"$ref": "#/$defs/schema"',
    );
    const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
    const validate = ajv.compile(JSON.parse(oas));

    expect(validate(sut), ajv.errorsText(validate.errors)).toBe(true);
    expect(validate({ ...sut, paths: { '/x': { get: { responses: { 200: { content: {} } } } } } })).toBe(false); // a response without its description
  });

  it('has answer schemas that compile, and references that all resolve', () => {
    const ajv = new Ajv2020({ strict: false });

    for (const ref of new Set(refsIn(sut))) expect(Object.keys(sut.components.schemas), ref).toContain(ref.replace('#/components/schemas/', ''));
    for (const schema of Object.values(sut.components.schemas)) expect(() => ajv.compile({ ...schema, components: sut.components })).not.toThrow();
  });

  it('takes query parameters from the schemas that validate them', () => {
    const reward = sut.paths['/api/v1/studies/{id}/reward']!['get']!.parameters;
    expect(reward.map((p) => [p.name, p.in, p.required])).toEqual([
      ['id', 'path', true],
      ['target', 'query', true],
      ['constraint', 'query', false],
      ['alpha', 'query', false],
      ['beta', 'query', false],
      ['device', 'query', false],
    ]);
  });

  it('takes answers from the contract: a handler whose return type is not exactly its schema does not compile', () => {
    class Drifted {
      // @ts-expect-error deviceClass is missing from what the handler returns
      @ApiRoute({ tag: 't', summary: 's', answer: deviceRef, ok: 'a device' })
      handler(): { id: string; name: string } {
        return { id: 'a', name: 'b' };
      }

      // @ts-expect-error the handler answers a field its schema does not document
      @ApiRoute({ tag: 't', summary: 's', answer: deviceRef, ok: 'a device' })
      extra(): { id: string; name: string; deviceClass: string; credential: string } {
        return { id: 'a', name: 'b', deviceClass: 'vm', credential: 'c' };
      }

      // @ts-expect-error a JSON answer is not text
      @ApiRoute({ tag: 't', summary: 's', answer: z.object({ n: z.number() }), ok: 'n' })
      text(): string {
        return '';
      }
    }

    expect(Drifted).toBeDefined();
  });
});
