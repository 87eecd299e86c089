import { Ajv2020 } from 'ajv/dist/2020.js';

type Doc = {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>>;
  components: object;
};

const ajv = new Ajv2020({ strict: false, allErrors: true });

/**
 * Checks an answer against the query service's served OpenAPI document: the route must document
 * the status, and the JSON body must match its schema (no field more or less). Returns the
 * mismatch, empty when there is none, so that a spec can check many answers in one expectation.
 */
export function undocumentedAnswer(doc: unknown, method: string, route: string, res: { status: number; body: unknown }): string {
  const { paths, components } = doc as Doc;
  const schema = paths[route]?.[method.toLowerCase()]?.responses[String(res.status)]?.content?.['application/json']?.schema;
  if (!schema) return `${method} ${route} does not document a JSON answer with status ${res.status}`;
  const validate = ajv.compile({ ...schema, components });
  return validate(res.body) ? '' : `${method} ${route} ${res.status}: ${ajv.errorsText(validate.errors)}`;
}
