// The unit map: one ECharts map series over the children's polygons
// (GeoJSON from the API, no tiles). show() swaps the geometry when the
// user drills; colour() is the hot path run on every vitals update and
// only touches each region's areaColor.
import { echarts } from './charts.js';
import { levelColour, healthColour } from './levels.js';

export function colourFor(item, mode) {
  return mode === 'health' ? healthColour(item.overall) : levelColour(item.worst);
}

export function createUnitMap(el, { onSelect, tooltip }) {
  const chart = echarts.init(el, null, { renderer: 'canvas' });
  let mapName = '';
  let labels = true;
  chart.on('click', (p) => { if (p.name) onSelect(p.name); });

  function baseSeries(data) {
    return {
      id: 'units',
      type: 'map',
      map: mapName,
      nameProperty: 'code',
      roam: true,
      selectedMode: false,
      animation: false,
      label: { show: labels, color: '#e8edf5', fontSize: 12, formatter: (p) => tooltip.label(p.name) },
      emphasis: { label: { show: true, color: '#fff' }, itemStyle: { areaColor: '#8fb3ff' } },
      itemStyle: { borderColor: '#0b1320', borderWidth: 0.8, areaColor: '#5b6472' },
      data,
    };
  }

  return {
    chart,
    // show draws a new set of polygons; colours follow with colour().
    show(parentCode, featureCollection) {
      mapName = `units-${parentCode}`;
      echarts.registerMap(mapName, featureCollection);
      labels = featureCollection.features.length <= 60;
      chart.setOption({
        animation: false,
        tooltip: { trigger: 'item', formatter: (p) => tooltip.text(p.name) },
        series: [baseSeries([])],
      }, { notMerge: true });
    },
    // colour recolours every region from vitals children items.
    colour(items, mode) {
      const data = items.map((it) => ({ name: it.code, itemStyle: { areaColor: colourFor(it, mode) } }));
      chart.setOption({ series: [{ id: 'units', data }] }, { lazyUpdate: false });
    },
    resize: () => chart.resize(),
    dispose: () => chart.dispose(),
  };
}
