import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';

/** Cases per surface: FUZZ_RUNS, 150 by default (the short run `npm test` includes). */
export const FUZZ_RUNS = Number(process.env['FUZZ_RUNS'] ?? 150);
/**
 * FUZZ_SEED: a number replays that run; `random` draws a new seed per surface (`npm run test:fuzz`,
 * the long search). Unset, the short run in `npm test` uses fixed seeds, so that a gate passes or
 * fails the same way on every machine; new cases are the long run's job, and a failure it finds
 * becomes a fix and a unit test.
 */
const FUZZ_SEED = process.env['FUZZ_SEED'];
/** The short run's seed for a surface: fixed, and different per surface. */
const fixedSeed = (surface: string) => [...surface].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16_777_619), 2_166_136_261) | 0;

export interface SurfaceCounts {
  cases: number;
  /** answers a client must never see: HTTP 5xx, gRPC INTERNAL or UNKNOWN */
  serverErrors: number;
  /** the process stopped answering its health check quickly */
  crashes: number;
  /** a rejected request that changed stored rows */
  rowsChanged: number;
  /** how often each answer came (HTTP status or gRPC status name) */
  answers: Record<string, number>;
  seed: number;
  failure?: string;
}

export function newCounts(seed: number): SurfaceCounts {
  return { cases: 0, serverErrors: 0, crashes: 0, rowsChanged: 0, answers: {}, seed };
}

export function countAnswer(counts: SurfaceCounts, answer: string | number): void {
  counts.answers[answer] = (counts.answers[answer] ?? 0) + 1;
}

/**
 * Runs one surface's property, records its counts, and fails with fast-check's report (seed and
 * path to replay it, the shrunk counterexample) when a case broke an invariant.
 */
export async function fuzzSurface<T>(surface: string, arb: fc.Arbitrary<T>, predicate: (value: T, counts: SurfaceCounts) => Promise<void>): Promise<SurfaceCounts> {
  const seed = FUZZ_SEED === undefined ? fixedSeed(surface) : FUZZ_SEED === 'random' ? (Date.now() ^ (Math.random() * 0x1_0000_0000)) | 0 : Number(FUZZ_SEED);
  if (!Number.isSafeInteger(seed)) throw new Error(`FUZZ_SEED=${FUZZ_SEED}: expected an integer or 'random'`);
  const counts = newCounts(seed);
  process.stdout.write(`fuzz ${surface}: ${FUZZ_RUNS} cases, seed ${seed}\n`);
  const details = await fc.check(
    fc.asyncProperty(arb, async (value) => {
      counts.cases++;
      await predicate(value, counts);
    }),
    { numRuns: FUZZ_RUNS, seed, endOnFailure: process.env['FUZZ_SHRINK'] === '0' },
  );
  const cause = details.errorInstance instanceof Error ? `\nError: ${details.errorInstance.message}` : '';
  const report = details.failed ? `${fc.defaultReportMessage(details)}${cause}` : undefined;
  if (report) counts.failure = report;
  recordCounts(surface, counts);
  if (report) throw new Error(`fuzz ${surface} failed:\n${report}`);
  return counts;
}

/** FUZZ_RESULTS=path: the counts of every surface, merged into one JSON file across spec files. */
function recordCounts(surface: string, counts: SurfaceCounts): void {
  const path = process.env['FUZZ_RESULTS'];
  if (!path) return;
  const all = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as { runs: number; surfaces: Record<string, SurfaceCounts> }) : { runs: FUZZ_RUNS, surfaces: {} };
  all.runs = FUZZ_RUNS;
  all.surfaces[surface] = counts;
  writeFileSync(path, `${JSON.stringify(all, null, 2)}\n`);
}
