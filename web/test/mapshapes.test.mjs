// Geometry preparation of the unit map (src/mapshapes.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prepareShapes, labelPoint, ringArea, pointInRing } from '../src/mapshapes.js';

const square = (x, y, s) => [[x, y], [x + s, y], [x + s, y + s], [x, y + s], [x, y]];
const feature = (code, geometry) => ({ type: 'Feature', properties: { code }, geometry });

test('exteriors wind counter-clockwise and holes clockwise, whatever the input', () => {
  const cw = [...square(0, 0, 10)].reverse();
  const hole = square(4, 4, 2); // counter-clockwise in the input
  const { shapes, bbox } = prepareShapes({ features: [feature('a', { type: 'Polygon', coordinates: [cw, hole] })] });
  assert.equal(shapes.length, 1);
  assert.ok(ringArea(shapes[0].rings[0]) > 0, 'exterior counter-clockwise');
  assert.ok(ringArea(shapes[0].rings[1]) < 0, 'hole clockwise');
  assert.deepEqual(bbox, [0, 0, 10, 10]);
});

test('multipolygons keep every ring; empty and point geometries are skipped', () => {
  const { shapes } = prepareShapes({ features: [
    feature('m', { type: 'MultiPolygon', coordinates: [[square(0, 0, 1)], [square(5, 5, 3), square(6, 6, 1)]] }),
    feature('p', { type: 'Point', coordinates: [1, 1] }),
    feature('n', null),
  ] });
  assert.deepEqual(shapes.map((s) => s.code), ['m']);
  assert.equal(shapes[0].rings.length, 3);
  // The label goes in the largest polygon, outside its hole.
  const [x, y] = shapes[0].label;
  assert.ok(pointInRing([x, y], square(5, 5, 3)) && !pointInRing([x, y], square(6, 6, 1)), `label ${x},${y}`);
});

test('a C-shaped unit gets its label inside, not at its centroid', () => {
  // A C open to the right: its centroid lies in the opening.
  const c = [[0, 0], [10, 0], [10, 2], [2, 2], [2, 8], [10, 8], [10, 10], [0, 10], [0, 0]];
  const pt = labelPoint([[c]]);
  assert.ok(pointInRing(pt, c), `label ${pt} outside the C`);
});
