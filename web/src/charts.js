// The ECharts build the dashboard uses: only the charts and components it
// needs, canvas renderer, no external tiles or fonts.
import * as echarts from 'echarts/core';
import { MapChart, LineChart } from 'echarts/charts';
import { TooltipComponent, GridComponent, DataZoomComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([MapChart, LineChart, TooltipComponent, GridComponent, DataZoomComponent, CanvasRenderer]);

export { echarts };
