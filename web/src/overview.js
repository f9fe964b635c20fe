// The unit overview: the map of the unit's children coloured by level or
// health, a keyboard-usable list of the same children, and the unit's
// vital-signs panel. Drilling (click or Enter) goes city → district →
// street → grid; a leaf shows its own polygon.
import { h, clear, fmtNumber } from './dom.js';
import { levelColour } from './levels.js';
import { createUnitMap } from './map.js';
import { echarts } from './charts.js';
import { renderVitals } from './vitals.js';

const enc = encodeURIComponent;
const refreshEvery = 10_000;

export async function renderOverview(el, ctx, code) {
  const { t } = ctx.i18n;
  const { unit, path } = await ctx.api.get(`/units/${enc(code)}`);
  const vitalsCode = unit.level === 'city' ? 'city' : unit.code;
  const leaf = !unit.children;
  const fc = leaf
    ? { type: 'FeatureCollection', features: [{ type: 'Feature', properties: { code: unit.code }, geometry: unit.geometry }] }
    : await ctx.api.get(`/units/${enc(code)}/children?format=geojson`);
  const names = new Map(fc.features.map((f) => [f.properties.code, f.properties]));
  names.set(unit.code, unit);
  ctx.setCrumbs(await crumbs(ctx, path));
  ctx.onUnit(unit.level === 'city' ? '' : unit.code);

  const vitalsEl = h('section', { class: 'panel vitals', 'aria-labelledby': 'vitals-title' });
  const mapEl = h('div', { class: 'map', id: 'unit-map', role: 'img', 'aria-label': `${t('map')}: ${ctx.i18n.name(unit)}` });
  const listEl = h('div', { class: 'children' });
  const modeBtn = h('button', { type: 'button', id: 'colour-mode', 'aria-pressed': String(ctx.mapMode === 'health'), onClick: () => toggleMode() });
  clear(el).append(
    h('div', { class: 'overview' },
      vitalsEl,
      h('section', { class: 'panel map-panel', 'aria-labelledby': 'map-title' },
        h('div', { class: 'map-head' },
          h('h1', { id: 'map-title', tabindex: '-1' }, `${ctx.i18n.name(unit)} · ${t('map')}`),
          h('span', {}, `${t('colourBy')}: `, modeBtn),
          path.length > 1 ? h('a', { href: `#/unit/${enc(path[path.length - 2])}` }, `↑ ${t('up')}`) : null,
          h('a', { href: `#/assets/${enc(unit.code)}` }, t('assets'))),
        mapEl, listEl)));

  let items = [];
  const map = createUnitMap(mapEl, {
    onSelect: (c) => { if (!leaf) location.hash = `#/unit/${enc(c)}`; },
    tooltip: {
      label: (c) => ctx.i18n.name(names.get(c) || { code: c }),
      text: (c) => {
        const it = items.find((x) => x.code === c);
        // ECharts renders tooltips as HTML: unit names come from imported
        // GeoJSON, so they are escaped.
        const esc = echarts.format.encodeHTML;
        return `${esc(ctx.i18n.name(names.get(c) || { code: c }))}<br>${t('worst')}: ${t('levels')[it?.worst] || '–'}<br>${t('health')}: ${fmtNumber(it?.overall)}`;
      },
    },
  });
  map.show(unit.code, fc);

  function toggleMode() {
    ctx.mapMode = ctx.mapMode === 'health' ? 'level' : 'health';
    paint();
  }

  function paint() {
    modeBtn.textContent = ctx.mapMode === 'health' ? t('byHealth') : t('byLevel');
    modeBtn.setAttribute('aria-pressed', String(ctx.mapMode === 'health'));
    map.colour(items, ctx.mapMode);
    el.dataset.mapItems = String(items.length);
    renderChildren(listEl, ctx, items, names, leaf);
  }

  async function refresh() {
    const [signs, children] = await Promise.all([
      ctx.api.get(`/vitals/units/${enc(vitalsCode)}`),
      leaf ? null : ctx.api.get(`/vitals/units/${enc(unit.code)}/children`),
    ]);
    items = leaf ? [{ code: unit.code, worst: signs.worst, overall: signs.overall, name_zh: unit.name_zh, name_en: unit.name_en }] : children.items;
    paint();
    renderVitals(vitalsEl, signs, ctx, vitalsCode);
  }

  await refresh();
  const timer = setInterval(() => refresh().catch((e) => console.warn('refresh', e)), refreshEvery);
  const onResize = () => map.resize();
  window.addEventListener('resize', onResize);
  return {
    toggleMode,
    dispose() { clearInterval(timer); window.removeEventListener('resize', onResize); map.dispose(); },
  };
}

async function crumbs(ctx, path) {
  const units = await Promise.all(path.map((c) => ctx.api.get(`/units/${enc(c)}`).then((r) => r.unit)));
  return units.map((u) => ({ href: `#/unit/${enc(u.code)}`, text: ctx.i18n.name(u) }));
}

function renderChildren(el, ctx, items, names, leaf) {
  const { t } = ctx.i18n;
  if (leaf) { clear(el); return; }
  const worstFirst = [...items].sort((a, b) => a.overall - b.overall);
  clear(el).append(h('details', { class: 'child-list', open: items.length <= 12 ? true : undefined },
    h('summary', {}, `${t('children')} (${items.length})`),
    h('ul', {}, worstFirst.map((it) => h('li', {},
      h('a', { href: `#/unit/${enc(it.code)}`, 'data-code': it.code },
        h('span', { class: 'chip', style: { background: levelColour(it.worst) } }),
        `${ctx.i18n.name(names.get(it.code) || it)} · ${t('levels')[it.worst] || it.worst} · ${t('health')} ${fmtNumber(it.overall)}`))))));
}
