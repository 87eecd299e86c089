import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { RequestMethod } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from './openapi.document.js';
import { QUERY_CONTROLLERS } from './query.module.js';

/** Every route the controllers declare, as `METHOD /path/{param}`. */
function declaredRoutes(): string[] {
  const join = (...parts: string[]) =>
    '/' +
    parts
      .map((p) => p.replace(/^\/|\/$/g, ''))
      .filter(Boolean)
      .join('/');
  return QUERY_CONTROLLERS.flatMap((controller) => {
    const prefix = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
    const proto = controller.prototype as unknown as Record<string, unknown>;
    return Object.getOwnPropertyNames(proto)
      .map((name) => proto[name])
      .filter((handler): handler is object => typeof handler === 'function' && Reflect.hasMetadata(METHOD_METADATA, handler))
      .map((handler) => {
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
        const path = join(prefix, String(Reflect.getMetadata(PATH_METADATA, handler) ?? '')).replace(/:(\w+)/g, '{$1}');
        return `${method} ${path}`;
      });
  }).sort();
}

describe(openApiDocument.name, () => {
  const sut = openApiDocument() as { paths: Record<string, Record<string, { parameters: Array<{ name: string; in: string; required: boolean }> }>> };

  it('describes exactly the routes the controllers serve', () => {
    const documented = Object.entries(sut.paths)
      .flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    expect(documented).toEqual(declaredRoutes());
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
});
