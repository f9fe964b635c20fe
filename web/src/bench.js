// Map re-colour benchmark: a synthetic grid of N cells (?cells=5000) drawn
// by the dashboard's own map module, then re-coloured with varying levels
// 20 times. Reports the time colour() takes, the time from the call to the
// next animation frame (the repaint lands before it), the same for a
// single cell (what a live level change costs), a pan step, the first
// draw, and the idle frame interval of the page for scale.
import { createUnitMap } from './map.js';

const levels = ['normal', 'blue', 'yellow', 'orange', 'red', 'no_data'];
const rounds = 20;

function syntheticGrid(n) {
  const side = Math.ceil(Math.sqrt(n));
  const features = [];
  for (let i = 0; i < n; i++) {
    const x = 121.3 + (i % side) * 0.005;
    const y = 31.1 + Math.floor(i / side) * 0.005;
    features.push({
      type: 'Feature',
      properties: { code: `g${i}` },
      geometry: { type: 'Polygon', coordinates: [[[x, y], [x + 0.005, y], [x + 0.005, y + 0.005], [x, y + 0.005], [x, y]]] },
    });
  }
  return { type: 'FeatureCollection', features };
}

const nextFrame = () => new Promise((r) => requestAnimationFrame(() => r()));

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const round = (v) => Math.round(v * 10) / 10;
  return { median: round(s[Math.floor(s.length / 2)]), p95: round(s[Math.min(s.length - 1, Math.floor(s.length * 0.95))]), max: round(s[s.length - 1]) };
}

// timed runs update() rounds times, timing the call and the call to the
// next frame.
async function timed(update) {
  const call = [];
  const toFrame = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    update(r);
    const t1 = performance.now();
    await nextFrame();
    call.push(t1 - t0);
    toFrame.push(performance.now() - t0);
  }
  return { call: stats(call), toNextFrame: stats(toFrame) };
}

async function run() {
  const cells = Number(new URLSearchParams(location.search).get('cells')) || 5000;
  const map = createUnitMap(document.getElementById('map'), {
    onSelect: () => {},
    tooltip: { label: (c) => c, text: (c) => c },
  });
  const fc = syntheticGrid(cells);
  const codes = fc.features.map((f) => f.properties.code);
  const idle = await timed(() => {});
  const t0 = performance.now();
  map.show('bench', fc);
  map.colour(codes.map((code) => ({ code, worst: 'normal' })), 'level');
  await nextFrame();
  const firstDrawMs = Math.round(performance.now() - t0);
  // Items are built outside the timed call: the dashboard receives them
  // from the API already built.
  const batches = Array.from({ length: rounds }, (_, r) =>
    codes.map((code, i) => ({ code, worst: levels[(i * 7 + r * 13) % levels.length], overall: (i * r) % 100 })));
  const all = await timed((r) => map.colour(batches[r], r % 2 ? 'health' : 'level'));
  const one = await timed((r) => map.colour([{ code: codes[(r * 97) % cells], worst: levels[r % levels.length] }], 'level'));
  // A pan step redraws every cell (geometry moves, colours stay).
  const roam = await timed((r) => map.chart.dispatchAction({ type: 'geoRoam', geoIndex: 0, dx: r % 2 ? 8 : -8, dy: 0 }));
  const result = {
    cells, rounds, firstDrawMs,
    // setOptionMs / toNextFrameMs keep the names of the earlier runs
    // (docs/dashboard.md) so figures stay comparable.
    setOptionMs: all.call, toNextFrameMs: all.toNextFrame,
    oneCell: one, roamStep: roam, idleFrameMs: idle.toNextFrame,
  };
  map.dispose();
  document.getElementById('result').textContent = JSON.stringify(result);
  document.body.dataset.done = 'true';
}

run().catch((err) => {
  document.getElementById('result').textContent = JSON.stringify({ error: String(err) });
  document.body.dataset.done = 'true';
});
