import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { builtinStudy, listBuiltinStudies } from '../lib/models/index.js';

/** A study spec from a file (JSON or YAML) or a built-in study's name. */
export function readStudyInput(arg: string): unknown {
  if (existsSync(arg)) {
    const text = readFileSync(arg, 'utf8');
    try {
      return arg.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    } catch (err) {
      throw new Error(`${arg}: not valid ${arg.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`, { cause: err });
    }
  }
  const names = listBuiltinStudies().map((s) => s.name);
  if (names.includes(arg)) return builtinStudy(arg);
  throw new Error(`${arg}: no such file and no built-in study of that name (built-in: ${names.join(', ')})`);
}
