// One incident: its facts, SLA clock, pending request, history, and the
// loop actions its state allows. The server checks roles, departments,
// the area and the version and has the last word: its refusal (the
// problem document's detail) is shown on the page, next to the form that
// caused it.
import { h, put, fmtTime, fmtDuration } from './dom.js';
import { levelColour } from './levels.js';
import { ApiError } from './api.js';
import { availableActions, requestKinds } from './incidentactions.js';

const enc = encodeURIComponent;

// renderIncident shows the incident; notice, when given, is shown as the
// reason the page was reloaded (a refused step).
export async function renderIncident(el, ctx, id, notice = '') {
  const { t } = ctx.i18n;
  const current = ctx.navigation();
  const { incident: inc, events } = await ctx.api.get(`/incidents/${enc(id)}`);
  const [teams, deptName] = await Promise.all([
    inc.dept ? ctx.api.get(`/teams?dept=${enc(inc.dept)}&limit=100`).then((r) => r.items) : [],
    inc.dept && ctx.departmentName ? ctx.departmentName(inc.dept) : inc.dept,
  ]);
  if (!current()) return null;
  const errorEl = h('p', { class: 'error', role: 'alert', id: 'incident-error', hidden: !notice }, notice);

  function showError(err) {
    errorEl.textContent = err instanceof ApiError ? `${t('refused')}: ${err.message}` : String(err.message || err);
    errorEl.hidden = false;
    errorEl.scrollIntoView?.({ block: 'nearest' });
  }
  const clearError = () => { errorEl.hidden = true; };

  // act posts one step decided on the version shown; on success the page
  // reloads, on failure the form stays as filled with the reason shown.
  async function act(action, body, version = inc.version) {
    clearError();
    try {
      await ctx.api.post(`/incidents/${enc(inc.id)}/actions/${action}`, { ...body, version });
      await renderIncident(el, ctx, id);
      ctx.toast(`${t('actionNames')[action] || action} ✓`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) {
        await decideAgain(err);
        return;
      }
      showError(err);
    }
  }
  // decideAgain shows the incident as it is now, with the reason it moved
  // on since it was shown (another person, or the platform noting an
  // alert or an escalation), for the person to decide again.
  const decideAgain = (err) => renderIncident(el, ctx, id, `${t('refused')}: ${err.message}`).catch(showError);

  const forms = { ctx, inc, teams, act, showError, clearError, decideAgain };
  put(el,
    h('p', {}, h('a', { href: '#/' }, `← ${t('back')}`)),
    h('h1', { id: 'incident-title', tabindex: '-1' }, h('span', { class: 'chip', style: { background: levelColour(inc.level) } }), ` #${inc.id} ${inc.title}`),
    facts(ctx, inc, teams, deptName),
    inc.pending ? pendingNote(ctx, inc.pending) : null,
    h('p', {}, inc.description),
    h('h2', { id: 'actions-title' }, t('actions')),
    errorEl,
    h('div', { class: 'actions', 'aria-labelledby': 'actions-title' }, availableActions(inc).map((a) => actionForm(forms, a))),
    h('h2', {}, t('history')),
    h('ol', { class: 'events' }, events.map((e) => eventItem(ctx, inc, e, showError))));
  el.querySelector('#incident-title').focus();
}

function facts(ctx, inc, teams, deptName) {
  const { t } = ctx.i18n;
  const clock = inc.clock?.sla;
  const legs = clock ? [['respond', clock.respond], ['dispose', clock.dispose]].filter(([, leg]) => leg?.by) : [];
  const ev = inc.evaluation;
  return h('dl', { class: 'facts' },
    h('dt', {}, t('state')), h('dd', { class: 'incident-state', 'data-state': inc.state }, t('states')[inc.state] || inc.state),
    h('dt', {}, t('dept')), h('dd', { 'data-dept': inc.dept || '' }, deptName || '–'),
    h('dt', {}, t('unit')), h('dd', {}, h('a', { href: `#/unit/${enc(inc.unit)}` }, inc.unit)),
    h('dt', {}, t('team')), h('dd', { class: 'incident-team' }, inc.team ? (teams.find((x) => x.id === inc.team)?.name || `#${inc.team}`) : (inc.assignee || '–')),
    legs.map(([name, leg]) => [h('dt', {}, `${t('deadline')} (${t('legs')[name] || name})`),
      h('dd', {}, `${fmtTime(leg.by, ctx.i18n.lang)} · ${leg.by >= Date.now() ? `${fmtDuration(leg.by - Date.now())} ${t('remaining')}` : `${t('late')} ${fmtDuration(leg.by - Date.now())}`}`)]),
    ev ? [h('dt', {}, t('evaluationResult')), h('dd', { class: 'incident-evaluation' },
      [`${t('respondedOnTime')}: ${ev.responded_on_time ? '✓' : '✗'}`, `${t('disposedOnTime')}: ${ev.disposed_on_time ? '✓' : '✗'}`,
        `${t('reworked')}: ${ev.reworked ? '✓' : '✗'}`, ev.satisfaction ? `${t('satisfaction')}: ${ev.satisfaction}/5` : ''].filter(Boolean).join(' · '))] : null);
}

function pendingNote(ctx, req) {
  const { t } = ctx.i18n;
  const extend = req.kind === 'extend' && req.extend_minutes ? ` (+${req.extend_minutes} ${t('minutes')})` : '';
  return h('p', { class: 'pending', role: 'status', 'data-kind': req.kind },
    `${t('pendingRequest')}: ${t('requestKinds')[req.kind] || req.kind}${extend} · ${req.by} · ${fmtTime(req.at, ctx.i18n.lang)} · ${req.reason}`);
}

function eventItem(ctx, inc, e, showError) {
  const { t } = ctx.i18n;
  return h('li', { 'data-action': e.action },
    `${fmtTime(e.at, ctx.i18n.lang)} · ${e.actor} · ${t('actionNames')[e.action] || e.action}${e.to && e.to !== e.from ? ` → ${t('states')[e.to] || e.to}` : ''}${e.note ? ` · ${e.note}` : ''}`,
    (e.attachments || []).map((hash) => h('button', {
      type: 'button', class: 'link attachment', title: hash,
      onClick: () => download(ctx, inc.id, hash).catch(showError),
    }, `📎 ${hash.slice(0, 8)}`)));
}

// download fetches an attachment with the bearer header (a plain link
// cannot carry it) and hands it to the browser as a file.
async function download(ctx, incidentId, hash) {
  const resp = await fetch(`/api/v1/incidents/${enc(incidentId)}/attachments/${enc(hash)}`, { headers: { Authorization: `Bearer ${ctx.api.token}` } });
  if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
  const name = /filename\*=UTF-8''([^;]+)/.exec(resp.headers.get('Content-Disposition') || '')?.[1];
  const url = URL.createObjectURL(await resp.blob());
  const a = h('a', { href: url, download: name ? decodeURIComponent(name) : hash });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// field builds a labelled form control; ids are unique per action.
function field(action, name, label, control) {
  control.id = `${name}-${action}`;
  control.name = name;
  return h('label', { for: control.id, class: 'field' }, h('span', {}, label), control);
}

function actionForm(f, action) {
  const { t } = f.ctx.i18n;
  const note = h('input', { type: 'text', placeholder: t('note') });
  const controls = [];
  let build = () => ({});
  switch (action) {
    case 'dispatch':
    case 'assign': {
      const team = h('select', {}, h('option', { value: '' }, '—'), f.teams.map((tm) => h('option', { value: tm.id }, tm.name)));
      controls.push(field(action, 'team', t('team'), team));
      build = () => (team.value ? { team: Number(team.value) } : {});
      break;
    }
    case 'verify': {
      const pass = h('select', {}, h('option', { value: 'true' }, t('verifyPass')), h('option', { value: 'false' }, t('verifyFail')));
      // A failed verification sends the incident back for rework and
      // must say why.
      pass.addEventListener('change', () => { note.required = pass.value === 'false'; });
      controls.push(field(action, 'pass', t('verdict'), pass));
      build = () => ({ pass: pass.value === 'true' });
      break;
    }
    case 'evaluate': {
      const sat = h('select', {}, [5, 4, 3, 2, 1].map((n) => h('option', { value: n }, `${n} ${'★'.repeat(n)}`)));
      controls.push(field(action, 'satisfaction', t('satisfaction'), sat));
      build = () => ({ satisfaction: Number(sat.value) });
      break;
    }
    case 'request': {
      const kinds = requestKinds(f.inc);
      const kind = h('select', {}, kinds.map((k) => h('option', { value: k }, t('requestKinds')[k] || k)));
      const minutes = h('input', { type: 'number', min: 1, max: 43200, step: 1, value: 60, inputmode: 'numeric' });
      const minutesField = field(action, 'extend_minutes', t('extendMinutes'), minutes);
      const sync = () => { minutesField.hidden = kind.value !== 'extend'; };
      kind.addEventListener('change', sync);
      sync();
      controls.push(field(action, 'kind', t('requestKind'), kind), minutesField);
      build = () => ({ kind: kind.value, ...(kind.value === 'extend' ? { extend_minutes: Number(minutes.value) } : {}) });
      break;
    }
    case 'feedback':
      return feedbackForm(f, note);
    default:
  }
  // A request and a rejection need their reason; the server says so too,
  // the browser just says it first.
  if (action === 'request' || action === 'reject') note.required = true;
  return h('form', { class: 'action', 'data-action': action, onSubmit: (e) => {
    e.preventDefault();
    f.act(action, { note: note.value, ...build() });
  } }, controls, field(action, 'note', action === 'request' || action === 'reject' ? t('reason') : t('note'), note),
  h('button', { type: 'submit' }, t('actionNames')[action] || action));
}

// feedbackForm reports the disposal: what was done, and photos or
// documents uploaded first, then named by hash in the step.
function feedbackForm(f, note) {
  const { t } = f.ctx.i18n;
  const action = 'feedback';
  const files = h('input', { type: 'file', multiple: true, accept: 'image/jpeg,image/png,image/gif,image/webp,application/pdf' });
  const submit = h('button', { type: 'submit' }, t('actionNames').feedback);
  note.required = true;
  return h('form', { class: 'action', 'data-action': action, onSubmit: async (e) => {
    e.preventDefault();
    f.clearError();
    submit.disabled = true;
    try {
      const hashes = [];
      for (const file of files.files) {
        const a = await f.ctx.api.upload(`/incidents/${enc(f.inc.id)}/attachments?name=${enc(file.name)}`, file);
        hashes.push(a.hash);
      }
      // Each upload is itself a change of the incident: decide on the
      // version after them, provided nothing else moved it meanwhile.
      let version = f.inc.version;
      if (hashes.length) {
        const now = (await f.ctx.api.get(`/incidents/${enc(f.inc.id)}`)).incident;
        if (now.state !== f.inc.state || now.version !== f.inc.version + hashes.length) {
          await f.decideAgain(new Error(t('changedMeanwhile')));
          return;
        }
        version = now.version;
      }
      await f.act(action, { note: note.value, attachments: hashes }, version);
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) await f.decideAgain(err);
      else f.showError(err);
    } finally {
      submit.disabled = false;
    }
  } }, field(action, 'note', t('feedbackNote'), note), field(action, 'evidence', t('evidence'), files), submit);
}
