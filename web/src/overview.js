// The unit overview: the map of the unit's children coloured by level or
// health, a keyboard-usable list of the same children, and the unit's
// vital-signs panel. Drilling (click or Enter) goes city → district →
// street → grid; a leaf shows its own polygon. Colours follow the live
// level-change stream: a change anywhere below a child reloads the
// children's signs within a second; polling remains as a slow safety net
// (and the only source while the stream is down).
import { h, clear, fmtNumber } from './dom.js';
import { levelColour, levelColours, healthColour } from './levels.js';
import { createUnitMap } from './map.js';
import { echarts } from './charts.js';
import { renderVitals } from './vitals.js';
import { childOnScreen } from './livevitals.js';

const enc = encodeURIComponent;
const pollLive = 60_000;
const pollOffline = 10_000;
// reloadWithin bounds how long a live change waits: changes arriving
// together (a storm) share one reload.
const reloadWithin = 300;
const cityCode = 'city';

export async function renderOverview(el, ctx, code) {
  const { t } = ctx.i18n;
  const current = ctx.navigation();
  const { unit, path } = await ctx.api.get(`/units/${enc(code)}`);
  const vitalsCode = unit.level === 'city' ? 'city' : unit.code;
  const leaf = !unit.children;
  const fc = leaf
    ? { type: 'FeatureCollection', features: [{ type: 'Feature', properties: { code: unit.code }, geometry: unit.geometry }] }
    : await ctx.api.get(`/units/${enc(code)}/children?format=geojson`);
  const names = new Map(fc.features.map((f) => [f.properties.code, f.properties]));
  names.set(unit.code, unit);
  const childCodes = new Set(leaf ? [] : names.keys());
  childCodes.delete(unit.code);
  for (const c of childCodes) ctx.unitPaths?.remember(c, [...path, c]);
  const crumbItems = await crumbs(ctx, path);
  if (!current()) return null;
  ctx.setCrumbs(crumbItems);
  ctx.onUnit(unit.level === 'city' ? '' : unit.code, unit);

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
        mapEl, legend(ctx), listEl)));

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
    el.dataset.paints = String(Number(el.dataset.paints || 0) + 1);
    renderChildren(listEl, ctx, items, names, leaf);
  }

  async function refresh() {
    const [signs, children] = await Promise.all([
      ctx.api.get(`/vitals/units/${enc(vitalsCode)}`),
      leaf ? null : ctx.api.get(`/vitals/units/${enc(unit.code)}/children`),
    ]);
    if (disposed) return;
    items = leaf ? [{ code: unit.code, worst: signs.worst, overall: signs.overall, name_zh: unit.name_zh, name_en: unit.name_en }] : children.items;
    paint();
    renderVitals(vitalsEl, signs, ctx, vitalsCode);
  }

  let disposed = false;
  await refresh();
  const stopFollowing = followLevels(ctx, unit, childCodes, {
    reload: () => { if (!disposed) refresh().catch((e) => console.warn('refresh', e)); },
    // For the browser test: the last change that concerned the view, and
    // how many paints there had been when it came.
    onChange: (change) => {
      el.dataset.lastChange = `${change.unit}:${change.indicator}:${change.to}`;
      el.dataset.paintsAtChange = el.dataset.paints;
    },
  });
  // The map's box changes with the window and with the list below it
  // (opened, closed, filled after the first load): follow the box, not
  // only the window. A box of no size (the view being replaced) has no
  // projection to compute.
  const resizer = new ResizeObserver(() => {
    if (mapEl.clientWidth > 0 && mapEl.clientHeight > 0) map.resize();
  });
  resizer.observe(mapEl);
  return {
    toggleMode,
    dispose() {
      disposed = true;
      stopFollowing();
      resizer.disconnect();
      map.dispose();
    },
  };
}

// followLevels keeps the view current: a level change at or below the
// unit on screen schedules one reload, shared by the changes arriving
// together; polling covers what the stream cannot (slowly while it is
// live). Returns the stop function.
function followLevels(ctx, unit, childCodes, { reload, onChange }) {
  let reloadTimer = 0;
  let pollTimer = 0;
  let stopped = false;
  const poll = (every) => {
    clearInterval(pollTimer);
    pollTimer = setInterval(reload, every);
  };
  async function concerns(change) {
    const code = change.unit === cityCode ? (unit.level === 'city' ? unit.code : null) : change.unit;
    if (!code || !ctx.unitPaths) return false;
    return (await childOnScreen(ctx.unitPaths, unit.code, childCodes, code)) !== null;
  }
  poll(ctx.levels?.live ? pollLive : pollOffline);
  const unlisten = ctx.levels?.listen({
    onChange: (change) => {
      concerns(change).then((yes) => {
        if (!yes || stopped) return;
        onChange(change);
        reloadTimer ||= setTimeout(() => { reloadTimer = 0; reload(); }, reloadWithin);
      }, (e) => console.warn('level change', e));
    },
    onStatus: (live) => {
      poll(live ? pollLive : pollOffline);
      if (live) reload();
    },
  });
  return () => {
    stopped = true;
    unlisten?.();
    clearInterval(pollTimer);
    clearTimeout(reloadTimer);
  };
}

// legend explains the colours of both modes; the map is an image to
// assistive technology, and its list below carries the same facts as text.
function legend(ctx) {
  const { t } = ctx.i18n;
  const levels = ['normal', 'blue', 'yellow', 'orange', 'red', 'no_data'];
  return h('div', { class: 'legend', role: 'group', 'aria-label': t('legend') },
    h('ul', { class: 'legend-levels' }, levels.map((l) => h('li', {},
      h('span', { class: 'chip', style: { background: levelColours[l] } }), t('levels')[l]))),
    h('span', { class: 'legend-health' }, `${t('health')}: 0 `,
      h('span', { class: 'ramp', style: { background: `linear-gradient(90deg, ${[0, 25, 50, 75, 100].map(healthColour).join(', ')})` } }), ' 100'));
}

async function crumbs(ctx, path) {
  const units = await Promise.all(path.map((c) => ctx.api.get(`/units/${enc(c)}?geometry=false`).then((r) => r.unit)));
  return units.map((u) => ({ href: `#/unit/${enc(u.code)}`, text: ctx.i18n.name(u) }));
}

// renderChildren lists the children worst first. Live updates rebuild it
// often, so it keeps what the user did: the list opened or closed, and
// the keyboard focus on the same child.
function renderChildren(el, ctx, items, names, leaf) {
  const { t } = ctx.i18n;
  if (leaf) { clear(el); return; }
  const before = el.querySelector('details.child-list');
  const open = before ? before.open : items.length <= 12;
  const focused = el.contains(document.activeElement) ? document.activeElement.dataset?.code : undefined;
  const worstFirst = [...items].sort((a, b) => a.overall - b.overall);
  clear(el).append(h('details', { class: 'child-list', open: open || undefined },
    h('summary', {}, `${t('children')} (${items.length})`),
    h('ul', {}, worstFirst.map((it) => h('li', {},
      h('a', { href: `#/unit/${enc(it.code)}`, 'data-code': it.code },
        h('span', { class: 'chip', style: { background: levelColour(it.worst) } }),
        `${ctx.i18n.name(names.get(it.code) || it)} · ${t('levels')[it.worst] || it.worst} · ${t('health')} ${fmtNumber(it.overall)}`))))));
  if (focused) el.querySelector(`a[data-code="${CSS.escape(focused)}"]`)?.focus();
}
