// The ECharts build the dashboard uses: only the charts and components it
// needs, canvas renderer, no external tiles or fonts.
import * as echarts from 'echarts/core';
import { CustomChart, LineChart } from 'echarts/charts';
import { TooltipComponent, GridComponent, DataZoomComponent, GeoComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([CustomChart, LineChart, GeoComponent, TooltipComponent, GridComponent, DataZoomComponent, CanvasRenderer]);

export { echarts };
