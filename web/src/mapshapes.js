// Geometry preparation for the unit map, done once per drill: GeoJSON
// features become flat lists of rings (exterior first, holes after, wound
// opposite so the canvas's nonzero fill leaves holes empty) and a label
// point that lies inside the unit. Pure functions, no ECharts.

// ringArea is the signed shoelace area (positive = counter-clockwise).
export function ringArea(ring) {
  let a = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    a += (ring[j][0] - ring[i][0]) * (ring[j][1] + ring[i][1]);
  }
  return a / 2;
}

function wound(ring, counterClockwise) {
  return (ringArea(ring) > 0) === counterClockwise ? ring : [...ring].reverse();
}

// polygonsOf lists a geometry's polygons as arrays of rings.
function polygonsOf(geometry) {
  if (!geometry) return [];
  if (geometry.type === 'Polygon') return [geometry.coordinates];
  if (geometry.type === 'MultiPolygon') return geometry.coordinates;
  return [];
}

export function pointInRing(pt, ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if ((yi > pt[1]) !== (yj > pt[1]) && pt[0] < ((xj - xi) * (pt[1] - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function centroid(ring) {
  let cx = 0;
  let cy = 0;
  let a = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const f = ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
    cx += (ring[j][0] + ring[i][0]) * f;
    cy += (ring[j][1] + ring[i][1]) * f;
    a += f;
  }
  if (a === 0) return ring[0];
  return [cx / (3 * a), cy / (3 * a)];
}

// widestSpanMidpoint is the middle of the widest stretch of the polygon
// (exterior less holes) on the horizontal line through y: inside it even
// when its centroid is not (an L- or C-shaped street, a ring road).
function widestSpanMidpoint(rings, y) {
  const xs = [];
  for (const ring of rings) {
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i];
      const [xj, yj] = ring[j];
      if ((yi > y) !== (yj > y)) xs.push(((xj - xi) * (y - yi)) / (yj - yi) + xi);
    }
  }
  xs.sort((a, b) => a - b);
  let best = null;
  for (let k = 0; k + 1 < xs.length; k += 2) {
    if (!best || xs[k + 1] - xs[k] > best[1] - best[0]) best = [xs[k], xs[k + 1]];
  }
  return best ? [(best[0] + best[1]) / 2, y] : null;
}

// labelPoint is where a unit's name goes: the centroid of its largest
// polygon, or, when that falls outside (or in a hole), the middle of the
// widest span through it.
export function labelPoint(polygons) {
  let largest = null;
  let largestArea = -1;
  for (const rings of polygons) {
    const a = Math.abs(ringArea(rings[0]));
    if (a > largestArea) { largest = rings; largestArea = a; }
  }
  if (!largest) return null;
  const c = centroid(largest[0]);
  const inside = (pt) => pointInRing(pt, largest[0]) && !largest.slice(1).some((hole) => pointInRing(pt, hole));
  if (inside(c)) return c;
  return widestSpanMidpoint(largest, c[1]) || c;
}

// prepareShapes turns a FeatureCollection into what the map draws: per
// feature its code, rings (exterior counter-clockwise, holes clockwise, in
// lon/lat) and label point; plus the bounding box of them all.
export function prepareShapes(featureCollection) {
  const bbox = [Infinity, Infinity, -Infinity, -Infinity];
  const shapes = [];
  for (const f of featureCollection.features) {
    const polygons = polygonsOf(f.geometry).filter((p) => p.length && p[0].length >= 3);
    if (!polygons.length) continue;
    const rings = [];
    for (const p of polygons) {
      p.forEach((ring, i) => rings.push(wound(ring, i === 0)));
    }
    for (const ring of rings) {
      for (const [x, y] of ring) {
        if (x < bbox[0]) bbox[0] = x;
        if (y < bbox[1]) bbox[1] = y;
        if (x > bbox[2]) bbox[2] = x;
        if (y > bbox[3]) bbox[3] = y;
      }
    }
    shapes.push({ code: f.properties.code, rings, label: labelPoint(polygons) });
  }
  return { shapes, bbox };
}
