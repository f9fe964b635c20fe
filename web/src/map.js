// The unit map: the children's own polygons (GeoJSON from the API, no
// tiles) drawn by an ECharts custom series on a geo coordinate system.
// show() swaps the geometry when the user drills; colour() is the hot path
// run on every vitals update and on live level changes.
//
// Why not a `map` series: it rebuilds every region's path, label and
// handlers on any data update, 450–735 ms for 5,000 grid cells. Here the
// geometry is drawn once; a colour change writes the new fill straight
// into the existing canvas elements and asks zrender for one repaint, and
// renderItem reads the same colour table, so any later full render (roam,
// resize) draws the same colours.
import { echarts } from './charts.js';
import { levelColour, healthColour, levelColours } from './levels.js';
import { prepareShapes } from './mapshapes.js';

export function colourFor(item, mode) {
  return mode === 'health' ? healthColour(item.overall) : levelColour(item.worst);
}

const borderColour = '#0b1320';
const hoverBorder = '#ffffff';
// Names are drawn only where they can be read.
const maxLabelled = 60;

export function createUnitMap(el, { onSelect, tooltip }) {
  const chart = echarts.init(el, null, { renderer: 'canvas' });
  let shapes = [];
  let labels = false;
  const fills = new Map(); // code → fill
  chart.on('click', (p) => { if (p.name) onSelect(p.name); });

  function renderItem(params, api) {
    const s = shapes[params.dataIndex];
    const style = { fill: fills.get(s.code) ?? levelColours.no_data, stroke: borderColour, lineWidth: 0.8 };
    const emphasis = { style: { stroke: hoverBorder, lineWidth: 2 } };
    const project = (ring) => ring.map((p) => api.coord(p));
    const shape = s.rings.length === 1
      ? { type: 'polygon', shape: { points: project(s.rings[0]) }, style, emphasis }
      : { type: 'compoundPath', shape: { paths: s.rings.map((r) => ({ type: 'polygon', shape: { points: project(r) } })) }, style, emphasis };
    if (!labels || !s.label) return shape;
    const [x, y] = api.coord(s.label);
    return {
      type: 'group',
      children: [shape, {
        type: 'text', silent: true, z2: 100, x, y,
        style: { text: tooltip.label(s.code), fill: '#e8edf5', fontSize: 12, align: 'center', verticalAlign: 'middle', stroke: borderColour, lineWidth: 2 },
      }],
    };
  }

  // paintedElements returns the series' canvas element per data index, or
  // null before the first render. getModel() is not in ECharts' typings
  // but has been on the instance since version 3; the build pins 6.1.0.
  function paintedElements() {
    const series = chart.getModel?.()?.getSeriesByIndex(0);
    const data = series?.getData();
    if (!data || data.count() !== shapes.length) return null;
    return (i) => data.getItemGraphicEl(i);
  }

  // patchFills writes each element's fill in place; false when the
  // elements are not (yet) there and a full render is needed.
  function patchFills() {
    const elementAt = paintedElements();
    if (!elementAt) return false;
    for (let i = 0; i < shapes.length; i++) {
      const el = elementAt(i);
      if (!el) return false;
      const fill = fills.get(shapes[i].code) ?? levelColours.no_data;
      const target = el.isGroup ? el.childAt(0) : el;
      if (target.style.fill !== fill) target.setStyle('fill', fill);
    }
    chart.getZr().refresh();
    return true;
  }

  return {
    chart,
    // show draws a new set of polygons; colours follow with colour().
    show(parentCode, featureCollection) {
      const prepared = prepareShapes(featureCollection);
      shapes = prepared.shapes;
      labels = shapes.length <= maxLabelled;
      fills.clear();
      const [x0, y0, x1, y1] = prepared.bbox;
      // The geo component only provides the projection, roam and zoom:
      // its map is the bounding box, drawn invisibly.
      const mapName = `units-${parentCode}`;
      echarts.registerMap(mapName, {
        type: 'FeatureCollection',
        features: shapes.length ? [{
          type: 'Feature', properties: { name: 'bbox' },
          geometry: { type: 'Polygon', coordinates: [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]] },
        }] : [],
      });
      chart.setOption({
        animation: false,
        tooltip: { trigger: 'item', formatter: (p) => tooltip.text(p.name) },
        geo: {
          map: mapName, roam: true, silent: true,
          itemStyle: { areaColor: 'transparent', borderColor: 'transparent' }, label: { show: false },
        },
        series: [{
          id: 'units', type: 'custom', coordinateSystem: 'geo', geoIndex: 0,
          progressive: 0, animation: false, renderItem,
          data: shapes.map((s) => ({ name: s.code, value: [0] })),
        }],
      }, { notMerge: true });
    },
    // colour recolours the cells of the given vitals children items; the
    // others keep their colour.
    colour(items, mode) {
      for (const it of items) fills.set(it.code, colourFor(it, mode));
      if (!patchFills()) chart.setOption({ series: [{ id: 'units', renderItem }] });
    },
    resize: () => chart.resize(),
    dispose: () => chart.dispose(),
  };
}
