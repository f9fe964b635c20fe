// The vital-signs panel: the catalog tree of one unit (domain › indicator
// › sub-indicator) with value, level colour and a trend sparkline. Each
// indicator links to its history page.
import { h, clear, fmtNumber } from './dom.js';
import { levelColour, healthColour } from './levels.js';

// sparkline draws values as an inline SVG polyline: 89 of these per
// refresh is far cheaper than 89 chart instances.
export function sparkline(values, colour, width = 90, height = 22) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('width', width);
  svg.setAttribute('height', height);
  svg.setAttribute('aria-hidden', 'true');
  svg.classList.add('spark');
  const vs = (values || []).filter((v) => Number.isFinite(v));
  if (vs.length < 2) return svg;
  const min = Math.min(...vs);
  const span = Math.max(...vs) - min || 1;
  const pts = vs.map((v, i) => `${((i / (vs.length - 1)) * (width - 2) + 1).toFixed(1)},${(height - 2 - ((v - min) / span) * (height - 4)).toFixed(1)}`);
  const line = document.createElementNS(ns, 'polyline');
  line.setAttribute('points', pts.join(' '));
  line.setAttribute('fill', 'none');
  line.setAttribute('stroke', colour);
  line.setAttribute('stroke-width', '1.5');
  svg.append(line);
  return svg;
}

function indicatorRow(ind, ctx, unit, depth) {
  const colour = levelColour(ind.level);
  const label = `${ctx.i18n.name(ind)}: ${fmtNumber(ind.value)} ${ind.unit || ''}, ${ctx.i18n.t('levels')[ind.level] || ind.level}`;
  return h('li', { class: `ind depth${depth}` },
    h('a', { href: `#/indicator/${unit}/${encodeURIComponent(ind.id)}`, 'aria-label': label },
      h('span', { class: 'chip', style: { background: colour }, title: ctx.i18n.t('levels')[ind.level] }),
      h('span', { class: 'ind-name' }, ctx.i18n.name(ind)),
      h('span', { class: 'ind-value' }, fmtNumber(ind.value), h('small', {}, ` ${ind.unit || ''}`)),
      sparkline(ind.trend, colour)),
    ind.subs?.length ? h('ul', {}, ind.subs.map((s) => indicatorRow(s, ctx, unit, depth + 1))) : null);
}

export function renderVitals(el, signs, ctx, unit) {
  const { t } = ctx.i18n;
  clear(el);
  el.append(
    h('h2', { id: 'vitals-title' }, t('vitals')),
    h('p', { class: 'overall' },
      `${t('health')} `, h('strong', { style: { color: healthColour(signs.overall) } }, fmtNumber(signs.overall)),
      ` · ${t('worst')} `, h('span', { class: 'chip', style: { background: levelColour(signs.worst) } }),
      ` ${t('levels')[signs.worst] || signs.worst}`),
  );
  const domains = [...(signs.domains || [])].sort((a, b) => a.health - b.health);
  for (const d of domains) {
    const worst = Math.min(100, d.health);
    el.append(h('details', { class: 'domain', open: worst < 100 ? true : undefined },
      h('summary', {},
        h('span', { class: 'dom-name' }, ctx.i18n.name(d)),
        h('meter', { min: 0, max: 100, low: 60, high: 90, optimum: 100, value: d.health, 'aria-label': `${t('health')} ${fmtNumber(d.health)}` }),
        h('span', { class: 'dom-health', style: { color: healthColour(d.health) } }, fmtNumber(d.health))),
      h('ul', { class: 'inds' }, (d.indicators || []).map((ind) => indicatorRow(ind, ctx, unit, 0)))));
  }
}
