// One incident: its facts, SLA clock, history, and the loop actions the
// current state allows. The server checks roles, departments and the
// version; the page only offers what the state permits.
import { h, clear, fmtTime, fmtDuration } from './dom.js';
import { levelColour } from './levels.js';

const actionsByState = {
  reported: ['register'],
  registered: ['dispatch'],
  dispatched: ['assign', 'accept'],
  disposing: ['assign'],
  fed_back: ['verify'],
};

export async function renderIncident(el, ctx, id) {
  const { t } = ctx.i18n;
  const { incident: inc, events } = await ctx.api.get(`/incidents/${encodeURIComponent(id)}`);
  const teams = inc.dept ? (await ctx.api.get(`/teams?dept=${encodeURIComponent(inc.dept)}&limit=100`)).items : [];
  const clock = inc.clock?.sla;

  async function act(action, body) {
    try {
      await ctx.api.post(`/incidents/${inc.id}/actions/${action}`, { ...body, version: inc.version });
      await renderIncident(el, ctx, id);
      ctx.toast(`${t('actionNames')[action] || action} ✓`);
    } catch (err) { ctx.toast(err.message); }
  }

  function actionForm(action) {
    const note = h('input', { type: 'text', id: `note-${action}`, 'aria-label': `${t('note')} (${t('actionNames')[action]})`, placeholder: t('note') });
    const needsTeam = action === 'assign' || action === 'dispatch';
    const team = needsTeam ? h('select', { id: `team-${action}`, 'aria-label': t('team') },
      h('option', { value: '' }, '—'), teams.map((tm) => h('option', { value: tm.id }, tm.name))) : null;
    return h('form', { class: 'action', 'data-action': action, onSubmit: (e) => {
      e.preventDefault();
      const body = { note: note.value };
      if (team?.value) body.team = Number(team.value);
      if (action === 'verify') body.pass = true;
      act(action, body);
    } }, team, note, h('button', { type: 'submit' }, t('actionNames')[action]));
  }

  const legs = clock ? [['respond', clock.respond], ['dispose', clock.dispose]] : [];
  clear(el).append(
    h('p', {}, h('a', { href: '#/' }, `← ${t('back')}`)),
    h('h1', { id: 'incident-title', tabindex: '-1' }, h('span', { class: 'chip', style: { background: levelColour(inc.level) } }), ` #${inc.id} ${inc.title}`),
    h('dl', { class: 'facts' },
      h('dt', {}, t('state')), h('dd', { class: 'incident-state', 'data-state': inc.state }, t('states')[inc.state] || inc.state),
      h('dt', {}, t('dept')), h('dd', {}, inc.dept || '–'),
      h('dt', {}, t('unit')), h('dd', {}, h('a', { href: `#/unit/${inc.unit}` }, inc.unit)),
      h('dt', {}, t('team')), h('dd', { class: 'incident-team' }, inc.team ? (teams.find((x) => x.id === inc.team)?.name || `#${inc.team}`) : (inc.assignee || '–')),
      legs.map(([name, leg]) => [h('dt', {}, `${t('deadline')} (${name})`),
        h('dd', {}, `${fmtTime(leg.by, ctx.i18n.lang)} · ${leg.by >= Date.now() ? `${fmtDuration(leg.by - Date.now())} ${t('remaining')}` : `${t('late')} ${fmtDuration(leg.by - Date.now())}`}`)])),
    h('p', {}, inc.description),
    h('h2', {}, t('actions')),
    h('div', { class: 'actions' }, [...(actionsByState[inc.state] || []), 'note'].map(actionForm)),
    h('h2', {}, t('history')),
    h('ol', { class: 'events' }, events.map((e) => h('li', {},
      `${fmtTime(e.at, ctx.i18n.lang)} · ${e.actor} · ${e.action}${e.to ? ` → ${t('states')[e.to] || e.to}` : ''}${e.note ? ` · ${e.note}` : ''}`))));
  el.querySelector('#incident-title').focus();
}
