// The live alert feed: the firing and pending alerts from /alerts, then
// every change from /alerts/stream (fetch streaming, bearer header).
// Operators acknowledge, silence for an hour, or open the alert's incident.
import { h, clear, fmtTime } from './dom.js';
import { levelColour } from './levels.js';
import { openStream } from './sse.js';

const maxShown = 200;
const maxResolvedKept = 50;
// renderEvery batches renders: a city going silent or coming back sends
// thousands of alert events a second, and one DOM rebuild each would
// freeze the page.
const renderEvery = 250;

// silenceMatchers builds an exact-match selector from an alert's labels.
export function silenceMatchers(labels) {
  const esc = (v) => String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  const parts = Object.keys(labels).sort().map((k) => `${k}="${esc(labels[k])}"`);
  return `{${parts.join(',')}}`;
}

// mutedText says why nobody was notified of an alert: the silences that
// select it, or the inhibition that holds it back.
export function mutedText(why, t) {
  if (why.silences?.length) return t('mutedBySilences')(why.silences);
  if (why.inhibit_rule) return t('inhibitedBy')(why.inhibit_rule);
  return t('mutedUnknown');
}

export function createAlertFeed(el, ctx) {
  const alerts = new Map(); // fingerprint → alert
  let live = false;
  let stream = null;
  const silenced = new Set();
  // touched are the alerts this person acted on: they stay in the list
  // even when a storm of newer, higher alerts would push them past
  // maxShown, so what one just acknowledged does not vanish.
  const touched = new Set();
  let renderPending = 0;

  function scheduleRender() {
    if (renderPending) return;
    renderPending = setTimeout(() => { renderPending = 0; prune(); render(); }, renderEvery);
  }

  // prune forgets the oldest resolved alerts so the map stays bounded.
  function prune() {
    const resolved = [...alerts.values()].filter((a) => a.state === 'resolved' && !touched.has(a.fingerprint));
    if (resolved.length <= maxResolvedKept) return;
    resolved.sort((x, y) => x.updated_at - y.updated_at);
    for (const a of resolved.slice(0, resolved.length - maxResolvedKept)) alerts.delete(a.fingerprint);
  }

  async function load() {
    const [firing, pending] = await Promise.all([
      ctx.api.get('/alerts?state=firing&limit=200'),
      ctx.api.get('/alerts?state=pending&limit=100'),
    ]);
    for (const a of [...firing.items, ...pending.items]) alerts.set(a.fingerprint, a);
    render();
  }

  function onEvent(ev) {
    let msg;
    try { msg = JSON.parse(ev.data); } catch { return; }
    if (!msg.alert) return;
    alerts.set(msg.alert.fingerprint, { ...msg.alert, muted_by: msg.muted_by });
    scheduleRender();
    if (msg.kind === 'firing' && msg.alert.level >= 3) ctx.announce(ctx.i18n.lang === 'zh' ? msg.alert.summary_zh : msg.alert.summary_en);
  }

  async function act(a, what) {
    try {
      if (what === 'ack') {
        await ctx.api.post(`/alerts/${encodeURIComponent(a.fingerprint)}/ack`);
        a.acked_by = a.acked_by || ctx.user?.name || 'me';
      } else {
        const ends = new Date(Date.now() + 3600_000).toISOString();
        await ctx.api.post('/silences', { matchers: silenceMatchers(a.labels), ends_at: ends, comment: `dashboard: ${a.summary_en}` });
        silenced.add(a.fingerprint);
        // The alert itself does not change; ask again to show why it is quiet now.
        const fresh = await ctx.api.get(`/alerts/${encodeURIComponent(a.fingerprint)}`).catch(() => null);
        if (fresh) alerts.set(a.fingerprint, fresh);
      }
      touched.add(a.fingerprint);
      render();
    } catch (err) { ctx.toast(err.message); }
  }

  async function openIncident(a) {
    const list = await ctx.api.get('/incidents?limit=200');
    // An alert may also be the reason for a contingency plan's tasks, each
    // an incident naming it; the alert's own incident is the one it opened.
    const naming = list.items.filter((i) => (i.alerts || []).includes(a.fingerprint));
    const inc = naming.find((i) => i.source === 'alert') || naming[0];
    if (inc) location.hash = `#/incident/${inc.id}`;
    else ctx.toast(ctx.i18n.lang === 'zh' ? '该告警尚无案卷' : 'No incident for this alert yet');
  }

  function item(a) {
    const { t } = ctx.i18n;
    const acked = Boolean(a.acked_by || a.acked_at);
    return h('li', { class: `alert state-${a.state}`, 'data-fp': a.fingerprint, 'data-indicator': a.labels.indicator || a.labels.kind || '' },
      h('span', { class: 'chip', style: { background: levelColour(a.level) }, title: t('levelNums')[a.level] }),
      h('div', { class: 'alert-body' },
        h('div', { class: 'alert-summary' }, ctx.i18n.lang === 'zh' ? a.summary_zh : a.summary_en),
        h('div', { class: 'alert-meta' }, `${t('alertStates')[a.state] || a.state} · ${fmtTime(a.updated_at, ctx.i18n.lang)}`),
        a.muted_by && a.state !== 'resolved' ? h('div', { class: 'alert-muted' }, `🔕 ${mutedText(a.muted_by, t)}`) : null,
        h('div', { class: 'alert-actions' },
          h('button', { type: 'button', disabled: acked || a.state === 'resolved', onClick: () => act(a, 'ack') }, acked ? t('acked') : t('ack')),
          h('button', { type: 'button', disabled: silenced.has(a.fingerprint), onClick: () => act(a, 'silence') }, silenced.has(a.fingerprint) ? t('silenced') : t('silence')),
          h('button', { type: 'button', class: 'link', onClick: () => openIncident(a) }, t('incident')))));
  }

  function render() {
    const { t } = ctx.i18n;
    const all = [...alerts.values()]
      .sort((x, y) => (x.state === 'resolved') - (y.state === 'resolved') || y.level - x.level || y.updated_at - x.updated_at);
    const sorted = all.filter((a, i) => i < maxShown || touched.has(a.fingerprint));
    clear(el).append(
      h('h2', { id: 'alerts-title' }, t('alerts'), ' ',
        h('span', { class: live ? 'live on' : 'live off', role: 'status' }, live ? `● ${t('live')}` : t('offline'))),
      sorted.length ? h('ul', { class: 'alert-list', tabindex: '-1', 'aria-labelledby': 'alerts-title' }, sorted.map(item)) : h('p', { class: 'muted' }, t('noAlerts')));
  }

  return {
    async start() {
      render();
      stream = openStream(ctx.api, '/alerts/stream', { onEvent, onStatus: (on) => { live = on; render(); if (on) load().catch((e) => ctx.toast(e.message)); } });
    },
    render,
    stop() { stream?.stop(); clearTimeout(renderPending); },
  };
}
