// Builders for Grafana dashboard JSON (the classic dashboard model, schemaVersion 42), so that the
// five dashboards share one definition of a panel, a query and a variable. `node grafana/src/build.mjs`
// writes grafana/dashboards/*.json; test/deploy checks the files are what these builders make.

/** The Grafana release the dashboards, the provisioning files and deploy/ target. */
export const GRAFANA_VERSION = '13.2.3';
export const SCHEMA_VERSION = 42;

/** Data sources, by the uids grafana/provisioning/datasources/latfleet.yaml gives them. */
export const PROMETHEUS = { type: 'prometheus', uid: 'latfleet-prometheus' };
export const POSTGRES = { type: 'grafana-postgresql-datasource', uid: 'latfleet-postgres' };

/** Strips the common indentation of a template literal, so SQL reads the same in Grafana's editor. */
export function dedent(text) {
  const lines = text.replace(/^\n/, '').replace(/\s+$/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.match(/^ */)[0].length));
  return lines.map((l) => l.slice(indent)).join('\n');
}

/** A PromQL query; `instant` for stat panels and tables, a range query otherwise. */
export function promql(expr, legendFormat = '__auto', { instant = false } = {}) {
  return { datasource: PROMETHEUS, editorMode: 'code', expr: dedent(expr), legendFormat, instant, range: !instant };
}

/** A raw SQL query against the latfleet database (`table` or `time_series` frames). */
export function sql(rawSql, format = 'table') {
  return { datasource: POSTGRES, editorMode: 'code', format, rawQuery: true, rawSql: dedent(rawSql) };
}

const legend = (showLegend = true, placement = 'bottom') => ({ calcs: [], displayMode: 'list', placement, showLegend });
const tooltip = (mode = 'multi') => ({ mode, sort: 'desc' });
const thresholds = (steps = [{ color: 'green', value: null }]) => ({ mode: 'absolute', steps });
const hideFrom = { legend: false, tooltip: false, viz: false };

/**
 * A panel. `w`/`h` are grid units (24 columns); position comes from `layout`. `fields` sets the
 * field defaults (unit, decimals, min, max, thresholds, mappings, custom), `overrides` per-field ones.
 */
function panel(type, { title, description, targets, w = 12, h = 8, fields = {}, custom, overrides = [], options, transformations, links, repeat, maxPerRow }) {
  const p = {
    type,
    title,
    ...(description ? { description: dedent(description) } : {}),
    datasource: targets?.[0]?.datasource,
    gridPos: { h, w, x: 0, y: 0 },
    id: 0,
    pluginVersion: GRAFANA_VERSION,
    targets: targets?.map((t, i) => ({ ...t, refId: String.fromCharCode(65 + i) })),
    fieldConfig: {
      defaults: { ...(custom ? { custom } : {}), color: fields.color ?? { mode: 'palette-classic' }, mappings: fields.mappings ?? [], thresholds: fields.thresholds ?? thresholds(), ...pick(fields, ['unit', 'decimals', 'min', 'max', 'noValue', 'displayName']), links: fields.links ?? [] },
      overrides,
    },
    options,
    ...(transformations ? { transformations } : {}),
    ...(links ? { links } : {}),
    ...(repeat ? { repeat, repeatDirection: 'h', ...(maxPerRow ? { maxPerRow } : {}) } : {}),
  };
  if (!targets) {
    delete p.datasource;
    delete p.targets;
  }
  return p;
}

const pick = (o, keys) => Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));

export function timeseries(spec) {
  const { stack = false, bars = false } = spec;
  return panel('timeseries', {
    ...spec,
    custom: {
      axisBorderShow: false,
      axisCenteredZero: false,
      axisColorMode: 'text',
      axisLabel: spec.axisLabel ?? '',
      axisPlacement: 'auto',
      barAlignment: 0,
      drawStyle: bars ? 'bars' : 'line',
      fillOpacity: stack || bars ? 60 : 10,
      gradientMode: 'none',
      hideFrom,
      insertNulls: false,
      lineInterpolation: spec.steps ? 'stepAfter' : 'linear',
      lineWidth: 1,
      pointSize: 4,
      scaleDistribution: { type: 'linear' },
      showPoints: 'auto',
      spanNulls: false,
      stacking: { group: 'A', mode: stack ? 'normal' : 'none' },
      thresholdsStyle: { mode: 'off' },
    },
    options: { legend: legend(), tooltip: tooltip() },
  });
}

export function stat(spec) {
  return panel('stat', {
    h: 4,
    w: 6,
    ...spec,
    fields: { color: { mode: 'thresholds' }, ...spec.fields },
    options: {
      colorMode: spec.colorMode ?? 'value',
      graphMode: spec.graphMode ?? 'none',
      justifyMode: 'auto',
      orientation: 'auto',
      percentChangeColorMode: 'standard',
      reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
      showPercentChange: false,
      textMode: spec.textMode ?? 'auto',
      wideLayout: true,
    },
  });
}

/** Table column override: by field name, a list of [property id, value]. */
export function column(name, properties) {
  return { matcher: { id: 'byName', options: name }, properties: Object.entries(properties).map(([id, value]) => ({ id, value })) };
}

export function table(spec) {
  return panel('table', {
    ...spec,
    fields: { color: { mode: 'thresholds' }, ...spec.fields },
    custom: { align: 'auto', cellOptions: { type: 'auto' }, footer: { reducers: [] }, inspect: false, filterable: false },
    options: { cellHeight: 'sm', enablePagination: false, frameIndex: 0, showHeader: true, sortBy: spec.sortBy ?? [] },
  });
}

export function barchart(spec) {
  return panel('barchart', {
    ...spec,
    custom: {
      axisBorderShow: false,
      axisCenteredZero: spec.centeredZero ?? false,
      axisColorMode: 'text',
      axisLabel: spec.axisLabel ?? '',
      axisPlacement: 'auto',
      fillOpacity: 80,
      gradientMode: 'none',
      hideFrom,
      lineWidth: 1,
      scaleDistribution: { type: 'linear' },
      thresholdsStyle: { mode: 'off' },
    },
    options: {
      barRadius: 0,
      barWidth: 0.8,
      fullHighlight: false,
      groupWidth: 0.7,
      legend: legend(spec.legend ?? true),
      orientation: spec.orientation ?? 'horizontal',
      showValue: spec.showValue ?? 'auto',
      stacking: spec.stacking ?? 'none',
      tooltip: tooltip(),
      xField: spec.xField,
      xTickLabelMaxLength: 48,
      xTickLabelRotation: 0,
      ...(spec.colorByField ? { colorByField: spec.colorByField } : {}),
    },
  });
}

export function bargauge(spec) {
  return panel('bargauge', {
    ...spec,
    fields: { color: { mode: 'continuous-GrYlRd' }, ...spec.fields },
    options: {
      displayMode: 'gradient',
      legend: legend(false),
      maxVizHeight: 300,
      minVizHeight: 16,
      minVizWidth: 8,
      namePlacement: 'left',
      orientation: 'horizontal',
      reduceOptions: { calcs: ['lastNotNull'], fields: spec.reduceFields ?? '', values: true },
      showUnfilled: true,
      sizing: 'auto',
      valueMode: 'color',
    },
  });
}

/** Scatter plot; `mapping: 'auto'` takes the first number field as x and the others as y, one series per frame. */
export function xychart(spec) {
  return panel('xychart', {
    ...spec,
    custom: {
      axisBorderShow: false,
      axisCenteredZero: false,
      axisColorMode: 'text',
      axisLabel: '',
      axisPlacement: 'auto',
      fillOpacity: 50,
      hideFrom,
      pointShape: 'circle',
      pointSize: { fixed: 8 },
      pointStrokeWidth: 1,
      scaleDistribution: { type: 'linear' },
      show: 'points',
    },
    options: { legend: legend(true), mapping: 'auto', series: [], tooltip: tooltip('single') },
  });
}

export function text(spec) {
  return panel('text', { h: 4, w: 24, ...spec, options: { code: { language: 'plaintext', showLineNumbers: false, showMiniMap: false }, content: dedent(spec.content), mode: 'markdown' } });
}

/**
 * A query variable read from Postgres. `__text`/`__value` columns give a label and a value. With no
 * saved `current`, Grafana selects the first option; `all` selects every option ($__all).
 */
export function sqlVariable(name, label, query, { multi = false, all = false, hide = 0, description } = {}) {
  return {
    type: 'query',
    name,
    label,
    ...(description ? { description } : {}),
    datasource: POSTGRES,
    query: dedent(query),
    refresh: 1,
    regex: '',
    sort: 0,
    multi,
    includeAll: all,
    hide,
    current: all ? { selected: true, text: ['All'], value: ['$__all'] } : { text: '', value: '' },
    options: [],
    skipUrlSync: false,
  };
}

/** A link to another latfleet dashboard, keeping the time range and the shared variables. */
export function dashboardLink(title, tag = 'latfleet') {
  return { title, type: 'dashboards', tags: [tag], asDropdown: true, icon: 'external link', includeVars: true, keepTime: true, targetBlank: false, tooltip: '' };
}

/** Places rows of panels on the 24-column grid, top to bottom, and numbers them. */
export function layout(rows) {
  let y = 0;
  let id = 1;
  const panels = [];
  for (const row of rows) {
    let x = 0;
    for (const p of row) {
      if (x + p.gridPos.w > 24) throw new Error(`panel "${p.title}" does not fit in its row`);
      panels.push({ ...p, id: id++, gridPos: { ...p.gridPos, x, y } });
      x += p.gridPos.w;
    }
    y += Math.max(...row.map((p) => p.gridPos.h));
  }
  return panels;
}

export function dashboard({ uid, title, description, tags = [], time = { from: 'now-6h', to: 'now' }, refresh = '', variables = [], rows }) {
  return {
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
      ],
    },
    description: dedent(description),
    editable: false,
    fiscalYearStartMonth: 0,
    graphTooltip: 1,
    id: null,
    links: [dashboardLink('latfleet dashboards')],
    liveNow: false,
    panels: layout(rows),
    refresh,
    schemaVersion: SCHEMA_VERSION,
    tags: ['latfleet', ...tags],
    templating: { list: variables },
    time,
    timepicker: {},
    timezone: 'browser',
    title,
    uid,
    version: 1,
    weekStart: '',
  };
}
