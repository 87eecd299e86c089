const esc = (s: unknown) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

interface Param {
  name: string;
  in: string;
  required: boolean;
  description?: string;
  schema: Record<string, unknown>;
}

function typeOf(schema: Record<string, unknown>): string {
  if (Array.isArray(schema['enum'])) return (schema['enum'] as unknown[]).join(' | ');
  if (Array.isArray(schema['anyOf'])) return (schema['anyOf'] as Array<Record<string, unknown>>).map(typeOf).join(' | ');
  const t = String(schema['type'] ?? 'any');
  const bounds = [schema['minimum'] !== undefined ? `≥ ${schema['minimum']}` : '', schema['maximum'] !== undefined ? `≤ ${schema['maximum']}` : ''].filter(Boolean).join(', ');
  return bounds ? `${t} (${bounds})` : t;
}

/** A plain HTML rendering of the OpenAPI document: every operation, its parameters and responses. */
export function renderDocsPage(doc: Record<string, unknown>): string {
  const info = doc['info'] as { title: string; description: string };
  const paths = doc['paths'] as Record<string, Record<string, { summary: string; description?: string; parameters: Param[]; responses: Record<string, { description: string }> }>>;
  const ops = Object.entries(paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => {
      const params = op.parameters.length
        ? `<table><tr><th>parameter</th><th>in</th><th>type</th><th></th></tr>${op.parameters
            .map(
              (p) =>
                `<tr><td><code>${esc(p.name)}</code>${p.required ? ' *' : ''}</td><td>${esc(p.in)}</td><td>${esc(typeOf(p.schema))}${
                  p.schema['default'] !== undefined ? ` = ${esc(JSON.stringify(p.schema['default']))}` : ''
                }</td><td>${esc(p.description ?? '')}</td></tr>`,
            )
            .join('')}</table>`
        : '';
      const responses = Object.entries(op.responses)
        .map(([s, r]) => `<code>${esc(s)}</code> ${esc(r.description)}`)
        .join('; ');
      return `<section><h3><span class="m">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code></h3><p>${esc(op.summary)}</p>${
        op.description ? `<p>${esc(op.description)}</p>` : ''
      }${params}<p class="r">${responses}</p></section>`;
    }),
  );
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(info.title)}</title>
<style>body{font:15px/1.45 system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em;color:#222}code{font:13px ui-monospace,monospace}
section{border-top:1px solid #ddd;padding:.4em 0}h3{margin:.4em 0;font-size:16px}.m{display:inline-block;min-width:3.5em;color:#06c}
table{border-collapse:collapse;font-size:14px}td,th{text-align:left;padding:2px 10px 2px 0;vertical-align:top}.r{color:#555;font-size:14px}</style></head>
<body><h1>${esc(info.title)}</h1><p>${esc(info.description)}</p><p>Machine-readable: <a href="/api/docs/openapi.json">/api/docs/openapi.json</a> (OpenAPI 3.1). * = required.</p>
${ops.join('\n')}</body></html>`;
}
