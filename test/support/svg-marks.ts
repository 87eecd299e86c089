/**
 * The marks Vega drew for a named layer of a Vega-Lite spec: the items of its groups
 * `<g class="mark-<type> role-mark <name>_marks">`, one group per series for lines and areas
 * (Vega nests no group inside a leaf mark's group).
 */
export function svgMarks(svg: string, name: string): number {
  const groups = [...svg.matchAll(new RegExp(`<g class="mark-[a-z]+ role-mark ${name}_marks"[^>]*>`, 'g'))];
  if (groups.length === 0) throw new Error(`no layer ${name} in the SVG`);
  return groups
    .filter((m) => !m[0].endsWith('/>'))
    .map((m) => svg.slice(m.index + m[0].length, svg.indexOf('</g>', m.index)))
    .reduce((n, body) => n + (body.match(/<(path|line|text|rect)\b/g) ?? []).length, 0);
}
