import { Controller, Get, Header } from '@nestjs/common';
import { openApiDocument } from './openapi.document.js';
import { renderDocsPage } from './docs.page.js';

/** The API described: an OpenAPI document and a self-contained page (no external scripts); a read like any other. */
@Controller('api/docs')
export class DocsController {
  private readonly document = openApiDocument();
  private readonly page = renderDocsPage(this.document);

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  html(): string {
    return this.page;
  }

  @Get('openapi.json')
  json(): Record<string, unknown> {
    return this.document;
  }
}
