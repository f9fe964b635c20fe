// The 综合评价 page: per department or district, the incidents created in
// a period and the rates of digital city management (docs/incidents.md),
// as a table. The period and grouping live in the URL, so a link shows
// the same table: #/evaluation?by=district&from=2026-11-01&to=2026-12-01.
import { h, put } from './dom.js';

const enc = encodeURIComponent;
const rateKeys = ['disposal', 'on_time_disposal', 'close', 'on_time_close', 'rework', 'extension', 'correct_dispatch', 'overdue_open'];
const countKeys = ['created', 'dispatched', 'disposed', 'closed', 'open'];
const day = 24 * 3600_000;

// isoDay formats a date for <input type=date> (UTC, as the API reads it).
const isoDay = (ms) => new Date(ms).toISOString().slice(0, 10);

export function evaluationQuery(params) {
  const by = params.get('by') === 'district' ? 'district' : 'dept';
  const to = params.get('to') || isoDay(Date.now() + day);
  const from = params.get('from') || isoDay(Date.now() - 30 * day);
  return { by, from, to };
}

// noKey is the server's row for incidents no department or district holds.
const noKey = '(none)';

// keyNames names the rows: departments from the plan vocabulary, districts
// from the unit tree; a key that cannot be named is shown as it is.
async function keyNames(ctx, by, keys) {
  const named = await Promise.all(keys.map(async (key) => {
    if (key === noKey) return [key, ctx.i18n.t('noKey')];
    if (by === 'dept') return [key, ctx.departmentName ? await ctx.departmentName(key) : key];
    const unit = await ctx.api.get(`/units/${enc(key)}?geometry=false`).then((r) => r.unit, () => null);
    return [key, unit ? `${ctx.i18n.name(unit)} (${key})` : key];
  }));
  return new Map(named);
}

const pct = (v) => (v === undefined ? '–' : `${(v * 100).toFixed(1)}%`);

export async function renderEvaluation(el, ctx, query) {
  const { t } = ctx.i18n;
  const current = ctx.navigation();
  const q = evaluationQuery(new URLSearchParams(query || ''));
  const res = await ctx.api.get(`/incidents/evaluation?by=${q.by}&from=${enc(`${q.from}T00:00:00Z`)}&to=${enc(`${q.to}T00:00:00Z`)}`);
  const names = await keyNames(ctx, q.by, res.rows.map((r) => r.key));
  if (!current()) return null;
  const by = h('select', {}, h('option', { value: 'dept', selected: q.by === 'dept' }, t('byDept')), h('option', { value: 'district', selected: q.by === 'district' }, t('byDistrict')));
  const from = h('input', { type: 'date', value: q.from, required: true });
  const to = h('input', { type: 'date', value: q.to, required: true });
  const labelled = (id, label, control) => { control.id = id; return h('label', { for: id, class: 'field' }, h('span', {}, label), control); };
  const row = (r, name) => h('tr', { 'data-key': r.key },
    h('th', { scope: 'row' }, name),
    countKeys.map((k) => h('td', { class: 'num' }, String(r[k] ?? 0))),
    rateKeys.map((k) => h('td', { class: 'num', 'data-rate': k }, pct(r.rates?.[k]))));
  put(el,
    h('h1', { id: 'evaluation-title', tabindex: '-1', class: 'page-title' }, t('evaluationTitle')),
    h('form', { class: 'filters', onSubmit: (e) => {
      e.preventDefault();
      location.hash = `#/evaluation?by=${by.value}&from=${from.value}&to=${to.value}`;
    } }, labelled('eval-by', t('groupBy'), by), labelled('eval-from', t('from'), from), labelled('eval-to', t('to'), to),
    h('button', { type: 'submit' }, t('show'))),
    res.rows.length ? h('table', { class: 'table evaluation', 'aria-labelledby': 'evaluation-title' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('key')),
        countKeys.map((k) => h('th', { scope: 'col' }, t('counts')[k])),
        rateKeys.map((k) => h('th', { scope: 'col' }, t('rates')[k])))),
      h('tbody', {}, res.rows.map((r) => row(r, names.get(r.key)))),
      h('tfoot', {}, row(res.total, t('total'))))
      : h('p', { class: 'muted' }, t('noRows')));
  el.querySelector('#evaluation-title').focus();
}
