// Live level changes for the whole session: one /vitals/changes/stream
// (resumed by Last-Event-ID after a drop), fanned out to whichever view
// listens, and the unit-path lookups that tell a view whether a change in
// some grid cell concerns one of the children it shows.
import { openStream } from './sse.js';

const enc = encodeURIComponent;
// Unit paths never change while the dashboard runs (a re-import is rare
// and a reload fixes it); the cache is bounded all the same.
const maxCachedPaths = 20_000;
// At most this many lookups run at once: a burst of changes in new units
// queues rather than floods the API.
const maxLookups = 4;

// limiter runs at most n promises at once, in call order.
function limiter(n) {
  let running = 0;
  const queue = [];
  const next = () => {
    if (running >= n || !queue.length) return;
    running++;
    const { fn, resolve, reject } = queue.shift();
    fn().then(resolve, reject).finally(() => { running--; next(); });
  };
  return (fn) => new Promise((resolve, reject) => { queue.push({ fn, resolve, reject }); next(); });
}

// createUnitPaths answers the path from the root to a unit, caching
// answers and sharing one request per unit among concurrent callers.
export function createUnitPaths(api) {
  const paths = new Map(); // code → Promise<string[] | null>
  const limit = limiter(maxLookups);
  return {
    // remember records a path the caller already knows.
    remember(code, path) {
      if (!paths.has(code)) paths.set(code, Promise.resolve(path));
    },
    of(code) {
      let p = paths.get(code);
      if (!p) {
        if (paths.size >= maxCachedPaths) paths.clear();
        // A unit outside the caller's area (403) or removed (404) has no
        // path the dashboard can use.
        p = limit(() => api.get(`/units/${enc(code)}?geometry=false`)).then((r) => r.path, () => null);
        paths.set(code, p);
      }
      return p;
    },
  };
}

// childOnScreen finds which of the children shown a changed unit lies in:
// the child itself, or the child on its path. Returns '' for the unit on
// screen itself and null for a unit outside it.
export async function childOnScreen(paths, viewCode, children, changedCode) {
  if (changedCode === viewCode) return '';
  if (children.has(changedCode)) return changedCode;
  const path = await paths.of(changedCode);
  if (!path || !path.includes(viewCode)) return null;
  return path.find((c) => children.has(c)) ?? '';
}

// createLevelFeed follows the level-change stream from the moment it
// connects (?after=now: the stored history is not replayed; after a drop
// Last-Event-ID resumes it without a gap). Listeners get each change
// ({seq, time, unit, indicator, from, to, …}) and a call when the stream
// (re)connects, after which they reload what they show. open is the
// stream opener (tests pass a fake).
export function createLevelFeed(api, { open = openStream } = {}) {
  const listeners = new Set();
  let stream = null;
  let live = false;

  function onEvent(ev) {
    if (ev.event !== 'level_change') return;
    let change;
    try { change = JSON.parse(ev.data); } catch { return; }
    for (const l of listeners) l.onChange?.(change);
  }

  function onStatus(on) {
    live = on;
    for (const l of listeners) l.onStatus?.(on);
  }

  return {
    get live() { return live; },
    start() {
      if (!stream) stream = open(api, '/vitals/changes/stream?after=now', { onEvent, onStatus });
    },
    // listen registers {onChange, onStatus}; returns the unsubscribe.
    listen(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop() {
      stream?.stop();
      stream = null;
      listeners.clear();
    },
  };
}
