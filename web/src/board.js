// The incident board: counts per loop step, near/overdue counts and the
// running SLA clocks nearest deadline first, each with a live countdown.
// Refreshed on every /incidents/stream event (debounced) and every second
// for the countdowns.
import { h, clear, fmtDuration } from './dom.js';
import { levelColour } from './levels.js';
import { openStream } from './sse.js';

const loopSteps = ['reported', 'registered', 'dispatched', 'disposing', 'fed_back', 'closed', 'evaluated', 'suspended'];
const shownClocks = 30;

export function createBoard(el, ctx) {
  let board = null;
  let stream = null;
  let timer = 0;
  let pending = 0;
  let under = '';

  async function load() {
    board = await ctx.api.get(`/incidents/board${under ? `?under=${encodeURIComponent(under)}` : ''}`);
    render();
  }

  // scheduleLoad reloads at most once a second however busy the stream
  // is (a debounce would never fire under a steady stream).
  function scheduleLoad() {
    if (pending) return;
    pending = setTimeout(() => { pending = 0; load().catch((e) => ctx.toast(e.message)); }, 1000);
  }

  function countdown(deadline) {
    const { t } = ctx.i18n;
    const left = deadline - Date.now();
    return left >= 0 ? `${fmtDuration(left)} ${t('remaining')}` : `${t('late')} ${fmtDuration(left)}`;
  }

  function render() {
    const { t } = ctx.i18n;
    clear(el).append(h('h2', { id: 'board-title' }, t('board')));
    if (!board) return;
    el.append(
      h('ol', { class: 'steps', 'aria-label': t('board') }, loopSteps.map((s) =>
        h('li', { class: 'step' }, h('span', { class: 'step-count' }, String(board.steps?.[s] || 0)), h('span', { class: 'step-name' }, t('states')[s])))),
      h('p', { class: 'sla-summary' },
        h('span', { class: 'near' }, `${t('near')} ${board.near}`), ' · ',
        h('span', { class: 'overdue' }, `${t('overdue')} ${board.overdue}`)));
    const clocks = (board.clocks || []).slice(0, shownClocks);
    if (!clocks.length) { el.append(h('p', { class: 'muted' }, t('noClocks'))); return; }
    el.append(h('ul', { class: 'clocks', tabindex: '-1', 'aria-labelledby': 'board-title' }, clocks.map((c) =>
      h('li', { class: `clock ${c.deadline < Date.now() ? 'is-overdue' : ''} esc${c.escalation}`, 'data-id': c.id },
        h('span', { class: 'chip', style: { background: levelColour(c.level) } }),
        h('a', { href: `#/incident/${c.id}` }, `#${c.id} ${c.title}`),
        h('span', { class: 'clock-state' }, `${t('states')[c.state] || c.state} · ${c.dept || ''}`),
        h('span', { class: 'countdown', 'data-deadline': c.deadline }, countdown(c.deadline)),
        c.escalation ? h('span', { class: 'escalated' }, `${t('escalation')} ${c.escalation}`) : null))));
  }

  function tick() {
    for (const span of el.querySelectorAll('.countdown')) span.textContent = countdown(Number(span.dataset.deadline));
  }

  return {
    async start(unit) {
      under = unit;
      await load();
      stream = openStream(ctx.api, '/incidents/stream', { onEvent: scheduleLoad });
      timer = setInterval(tick, 1000);
    },
    setUnder(unit) {
      if (unit === under) return;
      under = unit;
      load().catch((e) => ctx.toast(e.message));
    },
    render,
    stop() { stream?.stop(); clearInterval(timer); clearTimeout(pending); },
  };
}
