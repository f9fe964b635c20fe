// Map re-colour benchmark: a synthetic grid of N cells (?cells=5000) drawn
// by the dashboard's own map module, then re-coloured with random levels
// 20 times. Reports setOption time and time to the next painted frame.
import { createUnitMap } from './map.js';

const levels = ['normal', 'blue', 'yellow', 'orange', 'red', 'no_data'];

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

async function run() {
  const cells = Number(new URLSearchParams(location.search).get('cells')) || 5000;
  const rounds = 20;
  const map = createUnitMap(document.getElementById('map'), {
    onSelect: () => {},
    tooltip: { label: (c) => c, text: (c) => c },
  });
  const fc = syntheticGrid(cells);
  const codes = fc.features.map((f) => f.properties.code);
  map.show('bench', fc);
  map.colour(codes.map((code) => ({ code, worst: 'normal' })), 'level');
  await nextFrame();
  const setOption = [];
  const toFrame = [];
  for (let r = 0; r < rounds; r++) {
    const items = codes.map((code, i) => ({ code, worst: levels[(i * 7 + r * 13) % levels.length], overall: (i * r) % 100 }));
    const t0 = performance.now();
    map.colour(items, r % 2 ? 'health' : 'level');
    const t1 = performance.now();
    await nextFrame();
    setOption.push(t1 - t0);
    toFrame.push(performance.now() - t0);
  }
  const stats = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return { median: s[Math.floor(s.length / 2)], p95: s[Math.floor(s.length * 0.95)], max: s[s.length - 1] };
  };
  const result = { cells, rounds, setOptionMs: stats(setOption), toNextFrameMs: stats(toFrame) };
  document.getElementById('result').textContent = JSON.stringify(result);
  document.body.dataset.done = 'true';
}

run().catch((err) => {
  document.getElementById('result').textContent = JSON.stringify({ error: String(err) });
  document.body.dataset.done = 'true';
});
