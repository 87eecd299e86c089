import { Controller, Get, Header, type OnModuleInit, type Type } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { ApiRoute } from './api-route.decorator.js';
import { jsonDocument } from './contract.js';
import { openApiDocument } from './openapi.document.js';
import { renderDocsPage } from './docs.page.js';

/** The API described: an OpenAPI document generated from the controllers Nest serves, and a self-contained page (no external scripts); a read like any other. */
@Controller('api/docs')
export class DocsController implements OnModuleInit {
  private document: Record<string, unknown> = {};
  private page = '';

  constructor(private readonly modules: ModulesContainer) {}

  onModuleInit(): void {
    const controllers = [...this.modules.values()].flatMap((m) => [...m.controllers.values()].map((c) => c.metatype as Type));
    this.document = openApiDocument(controllers);
    this.page = renderDocsPage(this.document);
  }

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @ApiRoute({ tag: 'docs', summary: 'this API, as a page', answer: 'text/html', ok: 'HTML' })
  html(): string {
    return this.page;
  }

  @Get('openapi.json')
  @ApiRoute({ tag: 'docs', summary: 'this API, as an OpenAPI 3.1 document', answer: jsonDocument<Record<string, unknown>>('OpenAPI 3.1'), ok: 'OpenAPI document' })
  json(): Record<string, unknown> {
    return this.document;
  }
}
