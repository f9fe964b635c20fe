// Detail pages with history charts: an indicator of a unit, the assets of
// a unit, one asset with its datastreams, one datastream's aggregates.
import { echarts } from './charts.js';
import { h, put, fmtNumber, fmtTime } from './dom.js';
import { levelColour } from './levels.js';

const enc = encodeURIComponent;

// lineChart draws [time, value] points; returns the chart so the router
// can dispose it when the page changes.
function lineChart(el, points, name, colour = '#4ea1ff') {
  const chart = echarts.init(el);
  chart.setOption({
    animation: false,
    grid: { left: 60, right: 20, top: 20, bottom: 60 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'time', axisLabel: { color: '#c6d0de' } },
    yAxis: { type: 'value', scale: true, axisLabel: { color: '#c6d0de' }, splitLine: { lineStyle: { color: '#243247' } } },
    dataZoom: [{ type: 'inside' }, { type: 'slider', height: 20, bottom: 10 }],
    series: [{ type: 'line', name, showSymbol: false, data: points, lineStyle: { color: colour }, itemStyle: { color: colour } }],
  });
  return chart;
}

function header(ctx, title) {
  return [h('p', {}, h('a', { href: '#/', onClick: (e) => { if (history.length > 1) { e.preventDefault(); history.back(); } } }, `← ${ctx.i18n.t('back')}`)),
    h('h1', { tabindex: '-1', class: 'page-title' }, title)];
}

export async function renderIndicator(el, ctx, unit, id) {
  const current = ctx.navigation();
  const from = new Date(Date.now() - 24 * 3600_000).toISOString();
  const [def, hist] = await Promise.all([
    ctx.api.get(`/indicators/${enc(id)}`),
    ctx.api.get(`/vitals/units/${enc(unit)}/history/${enc(id)}?from=${enc(from)}&limit=5000`),
  ]);
  const items = hist.items || [];
  const last = items[items.length - 1];
  const chartEl = h('div', { class: 'history-chart', role: 'img', 'aria-label': `${ctx.i18n.name(def)} ${ctx.i18n.t('history')}` });
  if (!current()) return null;
  put(el, ...header(ctx, `${ctx.i18n.name(def)} · ${unit}`),
    h('p', {}, `${ctx.i18n.t('latest')}: ${last ? fmtNumber(last.value) : '–'} ${def.unit || ''}`), chartEl);
  return lineChart(chartEl, items.map((p) => [p.time, p.value]), id, levelColour(last?.level || 'normal'));
}

export async function renderAssets(el, ctx, unit) {
  const current = ctx.navigation();
  const { t } = ctx.i18n;
  const res = await ctx.api.get(`/assets?unit=${enc(unit)}&limit=500`);
  if (!current()) return null;
  put(el, ...header(ctx, `${t('assets')} · ${unit}`),
    res.items.length ? h('table', { class: 'table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'ID'), h('th', {}, t('assets')), h('th', {}, t('dept')), h('th', {}, t('state')))),
      h('tbody', {}, res.items.map((a) => h('tr', {},
        h('td', {}, h('a', { href: `#/asset/${enc(a.id)}` }, a.id)), h('td', {}, ctx.i18n.name(a)), h('td', {}, a.dept || '–'), h('td', {}, a.status || '–')))))
      : h('p', { class: 'muted' }, t('noAssets')));
}

export async function renderAsset(el, ctx, id) {
  const current = ctx.navigation();
  const { t } = ctx.i18n;
  const [asset, streams] = await Promise.all([ctx.api.get(`/assets/${enc(id)}`), ctx.api.get(`/datastreams?asset=${enc(id)}&limit=200`)]);
  if (!current()) return null;
  put(el, ...header(ctx, `${ctx.i18n.name(asset)} (${asset.id})`),
    h('p', {}, `${asset.type} · ${t('unit')} `, h('a', { href: `#/unit/${enc(asset.unit)}` }, asset.unit)),
    h('h2', {}, t('datastreams')),
    h('ul', {}, streams.items.map((s) => h('li', {}, h('a', { href: `#/datastream/${s.id}` }, `${s.property} (${s.uom})`), ` · ${s.key}`))));
}

export async function renderDatastream(el, ctx, id) {
  const current = ctx.navigation();
  const from = new Date(Date.now() - 6 * 3600_000).toISOString();
  const [ds, agg] = await Promise.all([
    ctx.api.get(`/datastreams/${enc(id)}`),
    ctx.api.get(`/datastreams/${enc(id)}/aggregates?step=5m&from=${enc(from)}`),
  ]);
  const items = agg.items || [];
  const chartEl = h('div', { class: 'history-chart', role: 'img', 'aria-label': `${ds.name} ${ctx.i18n.t('history')}` });
  const last = items[items.length - 1];
  if (!current()) return null;
  put(el, ...header(ctx, `${ds.name}`),
    h('p', {}, `${ds.property} · ${ds.uom} · ${ctx.i18n.t('latest')}: ${last ? `${fmtNumber(last.avg)} (${fmtTime(last.start, ctx.i18n.lang)})` : '–'}`),
    ds.asset ? h('p', {}, h('a', { href: `#/asset/${enc(ds.asset)}` }, ds.asset)) : null, chartEl);
  return lineChart(chartEl, items.map((b) => [b.start, b.avg]), ds.property);
}
