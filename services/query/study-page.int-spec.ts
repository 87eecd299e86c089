import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import type { Browser, Page } from 'puppeteer-core';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_STUDY, seedFigureStudy, type FigureStudy } from '../../test/support/figure-study.seed.js';
import { freePort } from '../../test/support/free-port.js';
import { CHROMIUM, launchChromium } from '../../test/support/headless-chromium.js';
import { insertModel, insertStudy } from '../../test/support/study-results.factory.js';
import { createTestDatabase } from '../../test/support/test-database.js';
import { loadConfig } from '../lib/config/index.js';
import { createDataSource } from '../lib/store/index.js';
import type { Comparison } from './comparison.service.js';
import type { DeviceHistory } from './device-history.service.js';
import { FIGURE_MARKS } from './figure-specs.js';
import type { LayerDeltas } from './layer-delta.service.js';
import { startQuery } from './main.js';
import { PAGE_CSP } from './study-page.html.js';
import type { Pareto } from './model-selection.service.js';
import type { RunLayers } from './run.service.js';

const API_KEY = 'page-spec-key-0123456789';
/** Kept after the run for people to look at (gitignored). */
const SCREENSHOT = join('test-artifacts', 'study-page.png');

// CI installs chromium (.ci/run) and must not skip this; elsewhere it may be missing.
const runs = CHROMIUM !== undefined || process.env['CI'] === 'true';
const title = (t: string) => (runs ? t : `${t} — SKIPPED: chromium not on PATH (apt-get install chromium)`);

describe.skipIf(!runs)(title('the study page in headless chromium (LATFLEET_API_READ=key)'), () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let ds: DataSource;
  let app: INestApplication;
  let base: string;
  let study: FigureStudy;
  let browser: Browser;
  let closeBrowser: () => Promise<void>;
  let page: Page;
  /** what the browser saw while loading the pages: console errors, page errors, failed and sub-resource requests */
  const seen = { consoleErrors: [] as string[], pageErrors: [] as string[], failed: [] as string[], requests: [] as string[] };

  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${API_KEY}` } });
    expect(res.status, path).toBe(200);
    return (await res.json()) as T;
  };
  const marks = (figure: string, layer: string) =>
    page.$$eval(`figure[data-figure="${figure}"] g.${layer}_marks`, (groups) => groups.map((g) => g.querySelectorAll('path, line, text, rect').length));

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource(db.url, { poolSize: 4 });
    await ds.initialize();
    study = await seedFigureStudy(ds, {
      ...DEMO_STUDY,
      devices: ['vm-cpu'],
      rounds: 4,
      flagged: [['hswish', 'vm-cpu', 3]],
    });
    const port = await freePort();
    app = await startQuery(
      loadConfig({ DATABASE_URL: db.url, LATFLEET_HTTP_PORT: String(port), LATFLEET_LOG_LEVEL: 'error', LATFLEET_API_KEYS: API_KEY, LATFLEET_API_READ: 'key' }),
    );
    base = `http://127.0.0.1:${port}`;
    ({ browser, close: closeBrowser } = await launchChromium());
    page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    await page.setExtraHTTPHeaders({ authorization: `Bearer ${API_KEY}` });
    page.on('console', (m) => void (m.type() === 'error' && seen.consoleErrors.push(m.text())));
    page.on('pageerror', (e) => void seen.pageErrors.push(String(e)));
    page.on('requestfailed', (r) => void seen.failed.push(r.url()));
    page.on('request', (r) => void seen.requests.push(`${r.resourceType()} ${r.url()}`));
    const index = await page.goto(`${base}/studies`, { waitUntil: 'load' });
    expect(index!.status()).toBe(200);
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(`a[href="/studies/${study.id}"]`)]);
  });

  afterAll(async () => {
    await closeBrowser?.();
    await app?.close();
    await ds?.destroy();
    await db?.drop();
  });

  it('goes from the studies index to the study page, loading nothing but the two documents and logging no error', async () => {
    expect(page.url()).toBe(`${base}/studies/${study.id}`);
    expect(await page.$eval('h1', (h) => h.textContent)).toBe('demo');
    expect(seen).toEqual({
      consoleErrors: [],
      pageErrors: [],
      failed: [],
      requests: [`document ${base}/studies`, `document ${base}/studies/${study.id}`],
    });
  });

  it("shows the ablation table: a row per variant with the comparison's median and verdict", async () => {
    const c = await api<Comparison>(`/api/v1/studies/${study.id}/comparison`);
    const rows = await page.$$eval('table:first-of-type tr', (trs) => trs.slice(2).map((tr) => tr.textContent ?? ''));
    expect(rows).toHaveLength(3);
    const rowOf = (variant: string) => rows.find((text) => text.startsWith(variant))!;
    for (const r of c.rows) expect(rowOf(r.variant)).toContain(r.medianMs!.toFixed(2));
    for (const r of c.rows.filter((x) => !x.baseline)) expect(rowOf(r.variant)).toContain(r.verdict!);
    expect(rows.find((text) => text.startsWith('hswish'))).toContain('+1 flagged (busy-cpu)');
  });

  it('draws every figure inline with one mark per row of the answer it comes from', async () => {
    const c = await api<Comparison>(`/api/v1/studies/${study.id}/comparison`);
    const p = await api<Pareto>(`/api/v1/studies/${study.id}/pareto`);
    const baselineRun = c.rows.find((r) => r.baseline)!.runIds[0]!;
    const l = await api<RunLayers>(`/api/v1/runs/${baselineRun}/layers`);
    const h = await api<DeviceHistory>(`/api/v1/devices/${study.devices['vm-cpu']}/history?model=mobilenetv3-large-1.0`);
    expect(await marks('latency', FIGURE_MARKS.latency.median)).toEqual([c.rows.length]);
    expect(await marks('latency', FIGURE_MARKS.latency.ci)).toEqual([c.rows.filter((r) => r.ciLowMs !== null).length]);
    expect(await marks('delta', FIGURE_MARKS.delta.point)).toEqual([2]);
    expect(await marks('delta', FIGURE_MARKS.delta.noise)).toEqual([c.rows.filter((r) => !r.baseline && r.mdePct !== null).length]);
    expect(await marks('pareto-madds', FIGURE_MARKS.pareto.point)).toEqual([p.devices[0]!.points.length]);
    expect(await marks('pareto-accuracy', FIGURE_MARKS.pareto.point)).toEqual([p.devices[0]!.points.filter((pt) => pt.top1 !== null).length]);
    expect(await marks('blocks', FIGURE_MARKS.runBars.bar)).toEqual([2 * l.blocks!.length]);
    const deltas = await Promise.all(['relu', 'hswish'].map((v) => api<LayerDeltas>(`/api/v1/studies/${study.id}/layer-deltas?variant=${v}`)));
    expect(await marks('layer-delta', FIGURE_MARKS.layerDelta.bar)).toEqual(deltas.map((d) => d.groups.block.length));
    expect(await marks('history', FIGURE_MARKS.history.point)).toEqual([h.models[0]!.segments.length]);
    const sizes = await page.$$eval('figure svg', (svgs) => svgs.map((s) => s.getBoundingClientRect().width * s.getBoundingClientRect().height));
    expect(sizes).toHaveLength(8);
    expect(sizes.filter((area) => area < 10_000)).toEqual([]);
    const ids = await page.$$eval('[id]', (els) => els.map((e) => e.id));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('names the flagged run and links every run to the API', async () => {
    const flagged = study.runs.get('hswish/vm-cpu/3')!;
    expect(await page.$eval('h2 + ul', (ul) => ul.textContent)).toContain(`run ${flagged.slice(0, 8)} (hswish on vm-cpu, round 3) is flagged`);
    const links = await page.$$eval('a[href^="/api/v1/runs/"]', (as) => [...new Set(as.map((a) => a.getAttribute('href')!.split('/')[4]))]);
    expect(links.sort()).toEqual([...study.runs.values()].sort());
  });

  it('keeps a screenshot of the page as a test artifact', async () => {
    mkdirSync('test-artifacts', { recursive: true });
    await page.screenshot({ path: SCREENSHOT as `${string}.png`, fullPage: true });
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(50_000);
  });

  it('shows a study without results yet, each figure saying why it is not drawn', async () => {
    const model = await insertModel(ds, 'mobilenetv3-small-1.0');
    const queued = await insertStudy(ds, {
      name: 'queued',
      baseline: 'a',
      status: 'queued',
      variants: [
        { label: 'a', model },
        { label: 'b', model },
      ],
    });
    const res = await fetch(`${base}/studies/${queued.id}`, { headers: { authorization: `Bearer ${API_KEY}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe(PAGE_CSP);
    const html = await res.text();
    expect(html.match(/not drawn: [^<]*/g)).toEqual(['not drawn: run: study queued has no stored run yet', 'not drawn: device: b and a have no results on a common device yet']);
    expect(html.match(/<svg /g)).toHaveLength(4);
  });

  it('refuses the page without the key, as every read with LATFLEET_API_READ=key', async () => {
    expect((await fetch(`${base}/studies/${study.id}`)).status).toBe(401);
    expect((await fetch(`${base}/studies`)).status).toBe(401);
  });
});
