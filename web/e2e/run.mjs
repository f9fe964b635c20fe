// Browser test of the dashboard against a running CityVitals demo city,
// driven by playwright-core in Debian's Chromium (never a downloaded
// browser). dashboard/e2e_test.go starts the city and runs this with:
//   CV_BASE_URL      the dashboard + API origin (http://127.0.0.1:PORT)
//   CV_USER, CV_PASSWORD   an operator's login
//   CV_CONTROL_URL, CV_CONTROL_SECRET   the demo's scenario endpoint
//   CV_STREET        the street to inject the gas leak into
//   CV_ARTIFACTS     where screenshots and perf.json go
// Exits non-zero with the failing step on any failure.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`environment variable ${name} is not set`);
  return v;
};
const base = env('CV_BASE_URL');
const artifacts = env('CV_ARTIFACTS');
const browserPath = process.env.CV_CHROMIUM || '/usr/bin/chromium';
mkdirSync(artifacts, { recursive: true });

const perf = {};
let step = 'start';
const log = (msg) => console.log(`[e2e] ${msg}`);

async function shot(page, name) {
  const file = join(artifacts, `${name}.png`);
  await page.screenshot({ path: file });
  log(`screenshot ${file}`);
}

async function injectGasLeak(street) {
  const at = new Date(Date.now() - 2 * 60_000).toISOString();
  const resp = await fetch(`${env('CV_CONTROL_URL')}/scenarios/gas_leak`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${env('CV_CONTROL_SECRET')}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ unit: street, at }),
  });
  if (resp.status !== 201) throw new Error(`inject gas_leak: HTTP ${resp.status} ${await resp.text()}`);
  return resp.json();
}

async function signIn(page) {
  step = 'sign in';
  await page.goto(base + '/');
  await page.getByLabel('用户名').fill(env('CV_USER'));
  await page.getByLabel('密码').fill(env('CV_PASSWORD'));
  await page.keyboard.press('Enter');
  step = 'see the map';
  await page.locator('#unit-map canvas').first().waitFor({ timeout: 20_000 });
  await page.waitForFunction(() => Number(document.querySelector('.view')?.dataset.mapItems) > 0, null, { timeout: 20_000 });
}

// measureFirstPaint loads the signed-in dashboard afresh and reads the
// browser's paint timing.
async function measureFirstPaint(page) {
  step = 'first paint';
  await page.goto(base + '/#/unit/310000');
  await page.locator('#unit-map canvas').first().waitFor({ timeout: 20_000 });
  const t = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const paint = Object.fromEntries(performance.getEntriesByType('paint').map((p) => [p.name, p.startTime]));
    return { firstPaintMs: paint['first-paint'], firstContentfulPaintMs: paint['first-contentful-paint'], domContentLoadedMs: nav.domContentLoadedEventEnd, loadMs: nav.loadEventEnd };
  });
  t.mapReadyMs = await page.evaluate(() => performance.now());
  Object.assign(perf, { firstPaint: t });
  if (!(t.firstContentfulPaintMs > 0)) throw new Error(`no first-contentful-paint entry: ${JSON.stringify(t)}`);
}

async function waitForGasAlert(page) {
  step = 'see the gas alert arrive live';
  const alert = page.locator('li.alert[data-indicator^="gas"]').first();
  await alert.waitFor({ timeout: 60_000 });
  return alert;
}

async function openIncident(page, alert) {
  step = 'open the incident of the alert';
  for (let i = 0; i < 30; i++) {
    await alert.getByRole('button', { name: '案卷' }).click();
    try {
      await page.locator('.incident-state').waitFor({ timeout: 1500 });
      return;
    } catch { /* the auto rule has not opened it yet */ }
  }
  throw new Error('no incident opened for the gas alert within 45 s');
}

// dispatchOrAssign takes the loop step the platform left: a registered
// incident is dispatched, an auto-dispatched one is assigned to a team.
async function dispatchOrAssign(page) {
  step = 'dispatch or assign';
  const state = await page.locator('.incident-state').getAttribute('data-state');
  const action = state === 'registered' ? 'dispatch' : 'assign';
  if (!['registered', 'dispatched', 'disposing'].includes(state)) throw new Error(`incident is ${state}: neither dispatchable nor assignable`);
  const form = page.locator(`form[data-action="${action}"]`);
  const team = form.locator('select');
  const options = await team.locator('option').allTextContents();
  if (options.length < 2) throw new Error(`no field team offered for ${action}`);
  await team.selectOption({ index: 1 });
  await form.locator('input').fill('e2e: 派出燃气抢修队');
  await form.getByRole('button').click();
  await page.waitForFunction((name) => document.querySelector('.incident-team')?.textContent === name, options[1], { timeout: 10_000 });
  const id = (await page.locator('#incident-title').textContent()).match(/#(\d+)/)[1];
  log(`incident #${id} was ${state}; took "${action}" with team ${options[1]}`);
  return { id, state, action };
}

// checkBoard opens the street's board: the loop-step counts include the
// dispatched incidents and a gas incident's SLA clock counts down. The
// assigned incident itself is listed when it is among the 30 clocks
// nearest their deadline (a gas leak opens several incidents).
async function checkBoard(page, id) {
  step = 'check the board';
  await page.goto(`${base}/#/unit/${env('CV_STREET')}`);
  await page.locator('.clock').first().waitFor({ timeout: 15_000 });
  const dispatched = Number(await page.locator('.step').nth(2).locator('.step-count').textContent());
  if (!(dispatched >= 1)) throw new Error(`board shows ${dispatched} dispatched incidents, want ≥ 1`);
  const gas = page.locator('.clock', { hasText: 'gas' }).first();
  await gas.waitFor({ timeout: 15_000 });
  const countdown = await gas.locator('.countdown').textContent();
  if (!/\d+[hm] \d+[ms]/.test(countdown)) throw new Error(`board countdown reads "${countdown}"`);
  const listed = await page.locator(`.clock[data-id="${id}"]`).count();
  log(`board: ${dispatched} dispatched; incident #${id} ${listed ? 'listed' : 'not among the nearest 30 clocks'}`);
}

async function ackAndSilence(page) {
  step = 'acknowledge and silence the alert';
  const alert = page.locator('li.alert.state-firing[data-indicator^="gas"]').first();
  await alert.waitFor({ timeout: 15_000 });
  const fp = await alert.getAttribute('data-fp');
  const item = page.locator(`li.alert[data-fp="${fp}"]`);
  await item.getByRole('button', { name: '确认' }).click();
  await item.getByRole('button', { name: '已确认' }).waitFor({ timeout: 10_000 });
  await item.getByRole('button', { name: '静默 1 小时' }).click();
  await item.getByRole('button', { name: '已静默' }).waitFor({ timeout: 10_000 });
}

async function drillAndSwitchLanguage(page) {
  step = 'drill down by keyboard and switch to English';
  await page.goto(`${base}/#/unit/310000`);
  await page.waitForFunction(() => document.querySelectorAll('.crumbs li').length === 1 && document.querySelector('.children a[data-code]'), null, { timeout: 15_000 });
  const child = page.locator('.children a[data-code]').first();
  const code = await child.getAttribute('data-code');
  await child.focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction((c) => location.hash === `#/unit/${c}` && document.querySelectorAll('.crumbs li').length === 2, code, { timeout: 15_000 });
  await page.locator('#unit-map canvas').first().waitFor();
  await page.keyboard.press('l');
  await page.getByRole('button', { name: 'Sign out' }).waitFor({ timeout: 5_000 });
  await page.locator('#unit-map canvas').first().waitFor();
  await shot(page, '05-district-en');
  await page.keyboard.press('l');
}

async function measureRecolour(page) {
  step = 'map re-colour benchmark';
  await page.goto(base + '/bench.html?cells=5000');
  await page.waitForFunction(() => document.body.dataset.done === 'true', null, { timeout: 60_000 });
  const result = JSON.parse(await page.locator('#result').textContent());
  if (result.error) throw new Error(`bench: ${result.error}`);
  perf.recolour5000 = result;
  // Recorded, not asserted: timings are reported (perf.json,
  // docs/dashboard.md), never a pass/fail of a functional test.
}

async function main() {
  const browser = await chromium.launch({
    executablePath: browserPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'zh-CN' });
  const page = await context.newPage();
  const offsite = [];
  page.on('request', (r) => { if (!r.url().startsWith(base) && !r.url().startsWith('data:')) offsite.push(r.url()); });
  page.on('pageerror', (err) => console.error(`[page error] ${err.message}`));
  page.on('response', (r) => { if (r.status() >= 400) console.error(`[http ${r.status()}] ${r.request().method()} ${r.url()}`); });
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') console.error(`[console ${m.type()}] ${m.text()}`); });
  try {
    await signIn(page);
    await shot(page, '01-map');
    await measureFirstPaint(page);
    step = 'inject a gas leak';
    const inj = await injectGasLeak(env('CV_STREET'));
    log(`injected gas_leak into ${inj.unit} (${inj.streams} streams)`);
    const alert = await waitForGasAlert(page);
    await shot(page, '02-alert-live');
    await openIncident(page, alert);
    const taken = await dispatchOrAssign(page);
    await shot(page, '03-incident');
    await checkBoard(page, taken.id);
    await ackAndSilence(page);
    await shot(page, '04-board-acked');
    await drillAndSwitchLanguage(page);
    await measureRecolour(page);
    if (offsite.length) throw new Error(`the dashboard requested off-site URLs: ${offsite.slice(0, 5).join(', ')}`);
    writeFileSync(join(artifacts, 'perf.json'), JSON.stringify(perf, null, 2));
    log(`perf ${JSON.stringify(perf)}`);
    log(`ok: ${JSON.stringify(taken)}`);
  } catch (err) {
    await shot(page, 'failure').catch((e) => console.error(`[e2e] no failure screenshot: ${e.message}`));
    console.error(`[e2e] FAILED at "${step}": ${err.stack || err}`);
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
}

main();
