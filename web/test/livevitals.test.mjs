// Mapping live level changes to the children on screen and the unit-path
// cache (src/livevitals.js), and SSE parsing (src/sse.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { childOnScreen, createUnitPaths, createLevelFeed } from '../src/livevitals.js';
import { parseEvents } from '../src/sse.js';

// fakeApi answers /units/{code} from a tree of parent links and counts calls.
function fakeApi(parents) {
  const calls = [];
  return {
    calls,
    async get(path) {
      calls.push(path);
      const code = decodeURIComponent(path.match(/^\/units\/([^?]+)/)[1]);
      if (!(code in parents)) throw Object.assign(new Error('not found'), { status: 404 });
      const up = [];
      for (let c = code; c; c = parents[c]) up.unshift(c);
      return { unit: { code }, path: up };
    },
  };
}

const tree = { 310000: '', 310101: '310000', 310104: '310000', 310101005: '310101', g1: '310101005', g2: '310101005', 310104001: '310104' };

test('a change maps to the child it lies under, the view itself, or nothing', async () => {
  const api = fakeApi(tree);
  const paths = createUnitPaths(api);
  const children = new Set(['310101005']);
  assert.equal(await childOnScreen(paths, '310101', children, 'g1'), '310101005');
  assert.equal(await childOnScreen(paths, '310101', children, '310101005'), '310101005');
  assert.equal(await childOnScreen(paths, '310101', children, '310101'), '');
  assert.equal(await childOnScreen(paths, '310101', children, '310104001'), null);
  assert.equal(await childOnScreen(paths, '310101', children, 'gone'), null);
});

test('paths are fetched once per unit, shared by concurrent callers, and remembered ones not at all', async () => {
  const api = fakeApi(tree);
  const paths = createUnitPaths(api);
  paths.remember('310101005', ['310000', '310101', '310101005']);
  await Promise.all([paths.of('g1'), paths.of('g1'), paths.of('g1'), paths.of('310101005')]);
  await paths.of('g1');
  assert.deepEqual(api.calls, ['/units/g1?geometry=false']);
});

test('parseEvents keeps ids and event names and returns the unfinished tail', () => {
  const got = [];
  const tail = parseEvents('id: 7\nevent: level_change\ndata: {"a":1}\n\n: keep-alive\n\nid: 8\ndata: x', (e) => got.push(e));
  assert.deepEqual(got, [{ event: 'level_change', data: '{"a":1}', id: '7' }]);
  assert.equal(tail, 'id: 8\ndata: x');
});

test('the feed follows changes from now on and reports (re)connections', () => {
  let handlers;
  const feed = createLevelFeed({}, { open: (_api, path, h) => { handlers = { path, ...h }; return { stop() {} }; } });
  const got = [];
  const status = [];
  feed.listen({ onChange: (c) => got.push(c.seq), onStatus: (on) => status.push(on) });
  feed.start();
  assert.equal(handlers.path, '/vitals/changes/stream?after=now');
  handlers.onStatus(true);
  const send = (seq, time) => handlers.onEvent({ event: 'level_change', id: String(seq), data: JSON.stringify({ seq, time, unit: 'g1' }) });
  send(1, '2026-11-28T09:00:00Z'); // event time lags by the engine's lateness: still passed on
  handlers.onEvent({ event: 'keepalive', data: '{}' });
  handlers.onEvent({ event: 'level_change', data: 'not json' });
  handlers.onStatus(false);
  handlers.onStatus(true);
  send(2, '2026-11-28T10:30:00Z'); // the gap, resumed by Last-Event-ID
  assert.deepEqual(got, [1, 2]);
  assert.deepEqual(status, [true, false, true]);
  assert.equal(feed.live, true);
});

test('path lookups run at most four at a time', async () => {
  let inFlight = 0;
  let most = 0;
  const api = {
    async get(path) {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return { path: ['310000', decodeURIComponent(path.split('/')[2].split('?')[0])] };
    },
  };
  const paths = createUnitPaths(api);
  const got = await Promise.all(Array.from({ length: 12 }, (_, i) => paths.of(`u${i}`)));
  assert.equal(got.length, 12);
  assert.deepEqual(got[7], ['310000', 'u7']);
  assert.equal(most, 4);
});
