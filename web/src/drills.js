// The drills panel (演练, demo city only): the simulator's scenarios with
// an inject button for the unit on screen. Hidden when the platform runs
// no simulator (404) or the user may not run scenarios (403).
import { h, put, fmtTime } from './dom.js';
import { ApiError } from './api.js';

const enc = encodeURIComponent;

export function createDrills(el, ctx) {
  let listing = null;
  let unit = null; // { code, level, name }
  let message = null;
  let open = false;
  let startedAgo = 0; // minutes: join a scenario already under way

  async function load() {
    try {
      listing = await ctx.api.get('/scenarios');
    } catch (err) {
      if (err instanceof ApiError && (err.status === 404 || err.status === 403)) {
        listing = null;
        el.hidden = true;
        el.dataset.state = 'unavailable';
        return;
      }
      throw err;
    }
    render();
  }

  async function inject(s, button) {
    button.disabled = true;
    try {
      const body = unit && unit.level !== 'city' ? { unit: unit.code } : {};
      // A drill may join a scenario already under way: its readings then
      // start from that point of the story.
      if (startedAgo > 0) body.at = new Date(Date.now() - startedAgo * 60_000).toISOString();
      const inj = await ctx.api.post(`/scenarios/${enc(s.name)}`, body);
      message = { ok: true, text: `${ctx.i18n.t('injected')}: ${title(s)} → ${inj.unit} (${inj.streams} ${ctx.i18n.t('streams')})` };
      ctx.announce(message.text);
      await load();
    } catch (err) {
      message = { ok: false, text: err.message };
      render();
    }
  }

  const title = (s) => (ctx.i18n.lang === 'zh' ? s.title_zh : s.title_en) || s.name;

  function render() {
    const { t } = ctx.i18n;
    if (!listing) return;
    el.hidden = false;
    el.dataset.state = 'ready';
    if (unit) el.dataset.unit = unit.code;
    const here = unit ? unit.name : '';
    const start = h('select', { id: 'drill-start', onChange: () => { startedAgo = Number(start.value); } },
      [0, 2, 10, 30].map((m) => h('option', { value: m, selected: m === startedAgo }, m ? `${m} ${t('minutesAgo')}` : t('now'))));
    // Collapsed by default: the alert feed and the board above matter
    // more on the wall screen; the panel remembers being opened.
    const details = h('details', { class: 'drills-box', open: open || undefined, onToggle: () => { open = details.open; } },
      h('summary', {}, h('h2', { id: 'drills-title' }, t('drills'))),
      h('p', { class: 'muted' }, t('drillsHint')),
      h('label', { for: 'drill-start', class: 'field' }, h('span', {}, t('drillStart')), start),
      message ? h('p', { class: message.ok ? 'ok' : 'error', role: message.ok ? 'status' : 'alert', id: 'drill-message' }, message.text) : null,
      h('ul', { class: 'drills', 'aria-labelledby': 'drills-title' }, listing.scenarios.map((s) => {
        const fits = !unit || !s.units?.length || s.units.includes(unit.level);
        const button = h('button', { type: 'button', 'data-scenario': s.name, disabled: !fits,
          title: fits ? '' : t('wrongLevel'),
          onClick: () => inject(s, button) }, `${t('injectHere')} ${here}`);
        return h('li', { 'data-scenario': s.name },
          h('div', { class: 'drill-title' }, title(s), h('small', {}, ` · ${s.duration}`)),
          h('div', { class: 'drill-desc' }, (ctx.i18n.lang === 'zh' ? s.description_zh : s.description_en) || ''),
          button);
      })),
      listing.injections?.length ? h('details', {}, h('summary', {}, t('recentInjections')),
        h('ul', {}, listing.injections.slice(-5).reverse().map((i) =>
          h('li', {}, `${fmtTime(i.at, ctx.i18n.lang)} · ${i.scenario} · ${i.unit} · ${i.streams} ${t('streams')}`)))) : null);
    put(el, details);
  }

  return {
    start: () => load().catch((e) => ctx.toast(e.message)),
    // setUnit follows the unit on screen: injections go there.
    setUnit(u) {
      unit = u;
      render();
    },
  };
}
