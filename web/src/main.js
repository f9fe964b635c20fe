// Boot and shell: the login form, then the header (breadcrumbs, language,
// sign-out), the routed view on the left and the always-visible alert
// feed, incident board and campaign panel on the right. Routes live in the
// URL hash so a wall screen can be pointed at #/unit/310101.
import './style.css';
import { createApi } from './api.js';
import { createI18n } from './i18n.js';
import { h, clear } from './dom.js';
import { createAlertFeed } from './alerts.js';
import { createBoard } from './board.js';
import { renderCampaigns } from './campaigns.js';
import { renderOverview } from './overview.js';
import { renderIncident } from './incident.js';
import { renderEvaluation } from './evaluation.js';
import { createDrills } from './drills.js';
import { renderIndicator, renderAssets, renderAsset, renderDatastream } from './pages.js';
import { installShortcuts } from './shortcuts.js';
import { createLevelFeed, createUnitPaths } from './livevitals.js';

const rootUnit = '310000';
const app = document.getElementById('app');
const api = createApi();
const i18n = createI18n();
const ctx = { api, i18n, mapMode: 'level', user: null, toast, announce, setCrumbs: () => {}, onUnit: () => {} };

function toast(message) {
  const el = h('div', { class: 'toast', role: 'alert' }, message);
  document.body.append(el);
  setTimeout(() => el.remove(), 5000);
}

function announce(message) {
  const region = document.getElementById('announcer');
  if (region) region.textContent = message;
}

function showLogin(error = '') {
  const { t } = i18n;
  const name = h('input', { id: 'login-name', name: 'username', autocomplete: 'username', required: true });
  const pass = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const msg = h('p', { class: 'error', role: 'alert', id: 'login-error' }, error);
  const button = h('button', { type: 'submit', id: 'login-submit' }, t('signIn'));
  clear(app).append(h('main', { id: 'main', class: 'login' },
    h('form', { class: 'login-form', 'aria-labelledby': 'login-title', onSubmit: async (e) => {
      e.preventDefault();
      button.disabled = true;
      button.textContent = t('signingIn');
      try {
        ctx.user = await api.login(name.value, pass.value);
        startShell();
      } catch (err) {
        showLogin(err.message);
      }
    } },
      h('h1', { id: 'login-title' }, t('appTitle'), h('small', {}, t('loginTitle'))),
      h('label', { for: 'login-name' }, t('userName')), name,
      h('label', { for: 'login-password' }, t('password')), pass,
      msg, button,
      h('button', { type: 'button', class: 'link', onClick: () => { i18n.toggle(); showLogin(); } }, i18n.t('language')))));
  name.focus();
}

let shell = null;

// Each route() is one navigation. A page still loading when the next
// navigation starts must not draw into the view nor keep timers, streams
// or charts: renderers check ctx.navigation()'s answer after loading, and
// whatever a stale one returns is disposed.
let navigation = 0;
ctx.navigation = () => {
  const n = navigation;
  return () => n === navigation;
};


function startShell() {
  const { t } = i18n;
  const crumbs = h('ol', { class: 'crumbs' });
  const view = h('main', { id: 'main', class: 'view', tabindex: '-1' });
  const alertsEl = h('section', { class: 'panel alerts', id: 'alerts', 'aria-labelledby': 'alerts-title' });
  const boardEl = h('section', { class: 'panel board', id: 'board', 'aria-labelledby': 'board-title' });
  const campaignsEl = h('section', { class: 'panel campaigns-panel', id: 'campaigns', hidden: true });
  const drillsEl = h('section', { class: 'panel drills-panel', id: 'drills', 'aria-labelledby': 'drills-title', hidden: true });
  const help = h('dialog', { id: 'shortcuts', 'aria-labelledby': 'shortcuts-title' });
  clear(app).append(
    h('header', { class: 'top' },
      h('span', { class: 'brand' }, t('appTitle')),
      h('nav', { 'aria-label': 'breadcrumb' }, crumbs),
      h('span', { class: 'spacer' }),
      h('a', { href: '#/evaluation', id: 'nav-evaluation' }, t('evaluation')),
      h('button', { type: 'button', id: 'lang', 'aria-label': t('languageLabel'), onClick: () => i18n.toggle() }, t('language')),
      h('button', { type: 'button', id: 'help', onClick: () => toggleHelp(help) }, '?'),
      h('button', { type: 'button', id: 'logout', onClick: async () => { await api.logout().catch(() => {}); stopShell(); showLogin(); } }, t('signOut'))),
    h('div', { class: 'layout' }, view, h('aside', { class: 'side' }, alertsEl, boardEl, campaignsEl, drillsEl)),
    h('div', { id: 'announcer', class: 'sr-only', 'aria-live': 'assertive' }),
    help);
  ctx.setCrumbs = (items) => clear(crumbs).append(...items.map((c, i) =>
    h('li', {}, i === items.length - 1 ? h('span', { 'aria-current': 'page' }, c.text) : h('a', { href: c.href }, c.text))));
  const feed = createAlertFeed(alertsEl, ctx);
  const board = createBoard(boardEl, ctx);
  ctx.levels = createLevelFeed(api);
  // Department names for ids (incidents, evaluation), loaded once per
  // session; without them the ids are shown.
  let vocabulary = null;
  ctx.departmentName = async (id) => {
    vocabulary ??= api.get('/plan-vocabulary').catch(() => ({ departments: [] }));
    const dept = (await vocabulary).departments?.find((d) => d.id === id);
    return dept ? i18n.name(dept) : id;
  };
  ctx.unitPaths = createUnitPaths(api);
  shell = { view, feed, board, help, current: null, uninstall: null };
  const drills = createDrills(drillsEl, ctx);
  // The board follows the unit on screen: a district's wall shows its own
  // clocks; drills are injected there.
  ctx.onUnit = (code, unit) => {
    board.setUnder(code);
    if (unit) drills.setUnit({ code: unit.code, level: unit.level, name: i18n.name(unit) });
  };
  feed.start();
  ctx.levels.start();
  board.start('').catch((e) => toast(e.message));
  renderCampaigns(campaignsEl, ctx);
  drills.start();
  shell.uninstall = installShortcuts({
    help: () => toggleHelp(help),
    home: () => { location.hash = `#/unit/${rootUnit}`; },
    up: () => document.querySelector('.map-head a[href^="#/unit/"]')?.click(),
    mode: () => shell.current?.toggleMode?.(),
    alerts: () => alertsEl.querySelector('.alert-list button, button')?.focus(),
    board: () => boardEl.querySelector('.clocks a, a')?.focus(),
    evaluation: () => { location.hash = '#/evaluation'; },
    lang: () => i18n.toggle(),
  });
  route();
}

function stopShell() {
  if (!shell) return;
  navigation++;
  shell.current?.dispose?.();
  shell.feed.stop();
  shell.board.stop();
  ctx.levels?.stop();
  shell.uninstall?.();
  shell = null;
}

function toggleHelp(dialog) {
  if (dialog.open) { dialog.close(); return; }
  const { t } = i18n;
  clear(dialog).append(h('h2', { id: 'shortcuts-title' }, t('shortcuts')),
    h('dl', {}, t('shortcutList').map(([k, what]) => [h('dt', {}, h('kbd', {}, k)), h('dd', {}, what)])),
    h('button', { type: 'button', onClick: () => dialog.close() }, t('close')));
  dialog.showModal();
}

async function route() {
  if (!shell) return;
  const nav = ++navigation;
  const [routePath, query] = location.hash.replace(/^#\/?/, '').split('?');
  const parts = routePath.split('/').map(decodeURIComponent);
  shell.current?.dispose?.();
  shell.current = null;
  const { view } = shell;
  clear(view).append(h('p', { class: 'muted' }, i18n.t('loading')));
  try {
    const page = await renderPage(view, parts, query);
    if (nav !== navigation || !shell) {
      page?.dispose?.();
      return;
    }
    shell.current = page;
    document.body.dataset.view = parts[0] || 'unit';
  } catch (err) {
    if (nav !== navigation || !shell) return;
    clear(view).append(h('h1', {}, i18n.t('error')), h('p', { class: 'error', role: 'alert' }, err.message));
  }
}

async function renderPage(view, parts, query) {
  switch (parts[0]) {
    case 'incident': return renderIncident(view, ctx, parts[1]);
    case 'evaluation': return renderEvaluation(view, ctx, query);
    case 'indicator': return wrapChart(await renderIndicator(view, ctx, parts[1], parts[2]));
    case 'assets': return renderAssets(view, ctx, parts[1]);
    case 'asset': return renderAsset(view, ctx, parts[1]);
    case 'datastream': return wrapChart(await renderDatastream(view, ctx, parts[1]));
    case 'unit': return renderOverview(view, ctx, parts[1] || rootUnit);
    default: return renderOverview(view, ctx, rootUnit);
  }
}

function wrapChart(chart) {
  return chart ? { dispose: () => chart.dispose() } : null;
}

api.onUnauthorized(() => { stopShell(); showLogin(); });
i18n.onChange(() => {
  if (!shell) return;
  // Rebuild the shell so every label follows the language.
  stopShell();
  startShell();
});
window.addEventListener('hashchange', route);

if (api.signedIn) {
  api.get('/me').then((me) => { ctx.user = me; startShell(); }).catch(() => showLogin());
} else {
  showLogin();
}
