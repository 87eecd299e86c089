import { loader, parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** Specs carry their data inline: a figure never reads a URL or a file, whatever a spec says. */
const NO_LOADS = loader();
NO_LOADS.sanitize = async (uri: string) => {
  throw new Error(`figures load nothing (${uri})`);
};

/** A Vega-Lite spec drawn as SVG by Vega on the server: no browser, no canvas (text is measured by estimate). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none', loader: NO_LOADS, logLevel: 0 });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
