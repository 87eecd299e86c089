/** How a source rounds the figures it prints: 3.47M printed as 3.5M (nearest) or as 3.4M (truncate). */
export type Rounding = 'nearest' | 'truncate';

export interface FigureSource {
  /** who printed the figures, and where */
  cite: string;
  /** inferred from the source's own figures against its reference code (docs/models.md) */
  rounding: Rounding;
}

export interface PublishedFigures {
  madds: number;
  params: number;
  top1?: number;
  /** as printed, e.g. `300M`, `3.4M`, `0.39B`, `37B`: a figure carries only the digits printed */
  printed: { madds: string; params: string };
  source: FigureSource;
}

const SCALE: Record<string, number> = { K: 1e3, M: 1e6, B: 1e9 };

/** `3.4M` -> 3.4e6 and its last printed digit, 1e5. */
export function parsePrinted(text: string): { value: number; unit: number } {
  const match = /^(\d+)(?:\.(\d+))?([KMB])$/.exec(text);
  if (!match) throw new Error(`not a printed figure: ${text}`);
  const [, whole, fraction = '', suffix] = match;
  const scale = SCALE[suffix!]!;
  const divisor = 10 ** fraction.length;
  return { value: (Number(whole + fraction) * scale) / divisor, unit: scale / divisor };
}

/** Whether `actual`, rounded the source's way to the printed precision, prints as `text`. */
export function printsAs(actual: number, text: string, rounding: Rounding): boolean {
  const { value, unit } = parsePrinted(text);
  return rounding === 'nearest' ? Math.abs(actual - value) <= unit / 2 : actual >= value && actual < value + unit;
}

export function publishedFigures(source: FigureSource, madds: string, params: string, top1?: number): PublishedFigures {
  return {
    madds: parsePrinted(madds).value,
    params: parsePrinted(params).value,
    ...(top1 === undefined ? {} : { top1 }),
    printed: { madds, params },
    source,
  };
}
