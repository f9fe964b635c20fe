package simulate

import (
	"math"
	"time"

	"github.com/paulmach/orb"

	"cityvitals/model"
)

var (
	streetOnly   = []model.UnitLevel{model.LevelStreet}
	districtWide = []model.UnitLevel{model.LevelDistrict, model.LevelCity, model.LevelStreet}
	cityWide     = []model.UnitLevel{model.LevelCity, model.LevelDistrict, model.LevelStreet}
)

// Gas leak: how far gas migrates and how strong it is at the source.
const (
	leakRadiusM = 250.0 // concentration falls linearly to 0 here
	leakPeakLEL = 85.0
)

var scenarioTable = []scenario{
	{
		info: ScenarioInfo{
			Name: "gas_leak", TitleZH: "燃气泄漏", TitleEN: "Gas leak",
			DescriptionZH: "中压燃气干管泄漏：相邻窨井可燃气体浓度在一分钟内升至报警值（200 米内至少三个探测器超过 25 %LEL），干管压力四分钟内下降约 45 kPa；二十分钟后关阀通风，浓度回落。",
			DescriptionEN: "A medium-pressure gas main leaks: combustible gas in the adjacent manholes rises to alarm within a minute (three or more detectors within 200 m above 25 %LEL) and the main loses about 45 kPa in four minutes; after twenty minutes the valves are shut and the manholes vented.",
			Triggers:      []string{"gas.leak", "gas.leak.manholes", "gas.leak.alarming", "gas.pressure_drop", "detect/cluster", "detect/predict (25 %LEL)"},
		},
		duration: 30 * time.Minute, levels: streetOnly, place: placeGasLeak,
	},
	{
		info: ScenarioInfo{
			Name: "rainstorm", TitleZH: "暴雨内涝", TitleEN: "Rainstorm",
			DescriptionZH: "暴雨：雨强十五分钟内升至 70 mm/h 并维持一小时，积水点水深随累计雨量上涨，河道水位上涨约 1.8 米越过警戒水位，泵站开机。",
			DescriptionEN: "A rainstorm: intensity climbs to 70 mm/h within fifteen minutes and holds for an hour; ponding deepens with the accumulated rain, rivers rise about 1.8 m past their warning stage, pumps start.",
			Triggers:      []string{"weather.rainstorm.intensity", "weather.rainstorm.3h", "drainage.ponding", "drainage.ponding.rising", "drainage.river", "drainage.river.rising", "detect/predict (flood stage)"},
		},
		duration: 3 * time.Hour, levels: districtWide, place: placeRainstorm,
	},
	{
		info: ScenarioInfo{
			Name: "crowd_surge", TitleZH: "地铁站客流激增", TitleEN: "Crowd surge at a metro station",
			DescriptionZH: "地铁站出入口客流十分钟内激增：人群密度升至约 4.5 人/平方米，客流负荷超过 110%，半小时后疏散回落。",
			DescriptionEN: "Crowds surge at a metro station's entrances within ten minutes: density reaches about 4.5 persons/m² and load passes 110 %, easing after half an hour.",
			Triggers:      []string{"crowd.density", "crowd.density.hotspots", "crowd.load", "crowd.load.surge"},
		},
		duration: 45 * time.Minute, levels: streetOnly, place: placeCrowdSurge,
	},
	{
		info: ScenarioInfo{
			Name: "power_cut", TitleZH: "街道停电", TitleEN: "Power cut",
			DescriptionZH: "一个街道停电：配变供电状态报停电，靠市电的设备（信号灯、路灯、电梯、摄像机、消防主机）全部失联；电池供电的燃气、管网探测器照常上报。",
			DescriptionEN: "A street loses power: its supply points report an outage and every mains-powered device (signals, lights, elevators, cameras, fire panels) falls silent; battery-powered gas and network sensors keep reporting.",
			Triggers:      []string{"power.outage.points", "power.outage", "detect/silent"},
		},
		duration: 40 * time.Minute, levels: streetOnly, place: placePowerCut,
	},
	{
		info: ScenarioInfo{
			Name: "heat_wave", TitleZH: "高温热浪", TitleEN: "Heat wave",
			DescriptionZH: "高温：气温一小时内升高约 18 °C（午后超过 37 °C），用电负荷上升 35%，配变负载率超过 100%。",
			DescriptionEN: "A heat wave: temperature climbs about 18 °C within an hour (above 37 °C in the afternoon), power demand rises 35 % and transformers run above 100 % load.",
			Triggers:      []string{"weather.heat", "weather.heat.stations", "power.transformer", "power.transformer.overloaded"},
		},
		duration: 6 * time.Hour, levels: cityWide, place: placeHeatWave,
	},
	{
		info: ScenarioInfo{
			Name: "cold_wave", TitleZH: "寒潮", TitleEN: "Cold wave",
			DescriptionZH: "寒潮：六小时内降温约 18 °C 至冰点以下，偏北风 12 m/s；供水管网压力下降（低压点增多），燃气用量激增、管网压力缓降。",
			DescriptionEN: "A cold wave: temperature falls about 18 °C within six hours to below freezing with 12 m/s northerly wind; water-main pressure drops (more low-pressure points), gas demand surges and gas pressure sags.",
			Triggers:      []string{"weather.coldwave", "weather.coldwave.drop24h", "weather.wind", "water.pressure", "water.pressure.low_points"},
		},
		duration: 12 * time.Hour, levels: cityWide, place: placeColdWave,
	},
	{
		info: ScenarioInfo{
			Name: "water_main_burst", TitleZH: "供水爆管", TitleEN: "Water-main burst",
			DescriptionZH: "供水干管爆管：管网及周边消火栓压力一分钟内跌至 0.07 MPa，流量增至三倍，浊度升高，路面积水。",
			DescriptionEN: "A water main bursts: pressure in the main and nearby hydrants falls to 0.07 MPa within a minute, flow triples, turbidity rises and the road floods.",
			Triggers:      []string{"water.pressure", "water.pressure.drop", "water.quality", "fire.water", "drainage.ponding"},
		},
		duration: time.Hour, levels: streetOnly, place: placeWaterMainBurst,
	},
}

// streamOf returns the index of the stream with the key.
func (c *City) streamOf(key string) (int, bool) {
	for i, st := range c.Streams {
		if st.Key == key {
			return i, true
		}
	}
	return 0, false
}

func (c *City) point(i int) orb.Point { return orb.Point{c.Streams[i].Lon, c.Streams[i].Lat} }

func placeGasLeak(c *City, street string) (map[int]effect, orb.Point, error) {
	main, ok := c.streamOf("demo/" + street + "/gasmain01/gas_pressure")
	if !ok {
		return nil, orb.Point{}, model.Errorf(model.EINVALID, "street %s has no gas main", street)
	}
	centre := c.point(main)
	effects := map[int]effect{}
	for i, st := range c.Streams {
		if st.Property != "gas_lel" {
			continue
		}
		if d := distanceM(centre, c.point(i)); d < leakRadiusM {
			peak := leakPeakLEL * (1 - d/leakRadiusM)
			effects[i] = add(func(e time.Duration) float64 {
				return peak * approach(e, 20*time.Second) * fadeAfter(e, 20*time.Minute, 3*time.Minute)
			})
		}
	}
	drop := add(func(e time.Duration) float64 { return -45 * ramp(e, 4*time.Minute) })
	apply(effects, c.pick(street, "gas_pressure", PlaceGasMain, PlaceGasValve), drop)
	return effects, centre, nil
}

// rain is the storm's intensity in mm/h elapsed into it.
func rain(e time.Duration) float64 {
	switch {
	case e < 15*time.Minute:
		return 70 * ramp(e, 15*time.Minute)
	case e < 75*time.Minute:
		return 70
	}
	return 70 * math.Max(0, 1-(e-75*time.Minute).Minutes()/45)
}

// rainSoFar is the rain fallen by elapsed time, in mm.
func rainSoFar(e time.Duration) float64 {
	total := 0.0
	for t := time.Duration(0); t < e; t += time.Minute {
		total += rain(t) / 60 * math.Min(1, (e-t).Minutes())
	}
	return total
}

func placeRainstorm(c *City, unit string) (map[int]effect, orb.Point, error) {
	effects := map[int]effect{}
	apply(effects, c.pick(unit, "rainfall_rate"), add(rain))
	apply(effects, c.pick(unit, "rainfall"), func(e time.Duration, v float64, period time.Duration) (float64, bool) {
		return v + rain(e)*period.Hours(), true // each report carries the rain since the last
	})
	// Ponding starts once the drains are full (about 20 mm) and drains
	// slowly after the rain.
	apply(effects, c.pick(unit, "ponding_depth"), add(func(e time.Duration) float64 {
		return 0.012 * math.Max(0, rainSoFar(e)-20) * fadeAfter(e, 2*time.Hour, 40*time.Minute)
	}))
	rise := func(e time.Duration) float64 { return 1.8 * math.Min(1, rainSoFar(e)/80) }
	apply(effects, c.pick(unit, "water_level"), add(rise))
	apply(effects, c.pick(unit, "flood_stage_index"), add(func(e time.Duration) float64 {
		return rise(e) / (riverGuaranteed - riverWarning)
	}))
	apply(effects, c.pick(unit, "pump_state"), func(e time.Duration, v float64, _ time.Duration) (float64, bool) {
		if rainSoFar(e) > 10 {
			return 1, true
		}
		return v, true
	})
	apply(effects, c.pick(unit, "traffic_speed"), scale(func(e time.Duration) float64 { return 1 - 0.5*ramp(e, time.Hour) }))
	return effects, orb.Point{}, nil
}

func placeCrowdSurge(c *City, street string) (map[int]effect, orb.Point, error) {
	cams := c.pick(street, "crowd_density", PlaceMetroCamera)
	if len(cams) == 0 {
		return nil, orb.Point{}, model.Errorf(model.EINVALID, "street %s has no metro station", street)
	}
	surge := func(e time.Duration) float64 {
		return ramp(e, 10*time.Minute) * fadeAfter(e, 30*time.Minute, 5*time.Minute)
	}
	effects := map[int]effect{}
	apply(effects, cams, add(func(e time.Duration) float64 { return 4.3 * surge(e) }))
	apply(effects, c.pick(street, "crowd_load", PlaceMetroCamera), add(func(e time.Duration) float64 { return 95 * surge(e) }))
	apply(effects, c.pick(street, "crowd_count", PlaceMetroCamera), scale(func(e time.Duration) float64 { return 1 + 2.5*surge(e) }))
	return effects, c.point(cams[0]), nil
}

func placePowerCut(c *City, street string) (map[int]effect, orb.Point, error) {
	effects := map[int]effect{}
	for i, st := range c.Streams {
		if st.Street == street && st.MainsPowered {
			effects[i] = silence
		}
	}
	apply(effects, c.pick(street, "power_supply_state"), set(1))
	return effects, orb.Point{}, nil
}

func placeHeatWave(c *City, unit string) (map[int]effect, orb.Point, error) {
	effects := map[int]effect{}
	heat := func(e time.Duration) float64 { return ramp(e, time.Hour) }
	apply(effects, c.pick(unit, "air_temperature"), add(func(e time.Duration) float64 { return 18 * heat(e) }))
	apply(effects, c.pick(unit, "dew_point"), add(func(e time.Duration) float64 { return 9 * heat(e) }))
	apply(effects, c.pick(unit, "relative_humidity"), add(func(e time.Duration) float64 { return -15 * heat(e) }))
	apply(effects, c.pick(unit, "power_load"), scale(func(e time.Duration) float64 { return 1 + 0.35*heat(e) }))
	apply(effects, c.pick(unit, "transformer_load_rate"), add(func(e time.Duration) float64 { return 60 * heat(e) }))
	return effects, orb.Point{}, nil
}

func placeColdWave(c *City, unit string) (map[int]effect, orb.Point, error) {
	effects := map[int]effect{}
	cold := func(e time.Duration) float64 { return ramp(e, 6*time.Hour) }
	apply(effects, c.pick(unit, "air_temperature"), add(func(e time.Duration) float64 { return -18 * cold(e) }))
	apply(effects, c.pick(unit, "dew_point"), add(func(e time.Duration) float64 { return -20 * cold(e) }))
	apply(effects, c.pick(unit, "wind_speed"), add(func(e time.Duration) float64 { return 9 * ramp(e, time.Hour) }))
	apply(effects, c.pick(unit, "wind_direction"), set(350))
	// Burst service pipes and dripping taps pull the network down.
	lowWater := add(func(e time.Duration) float64 { return -0.17 * ramp(e, 2*time.Hour) })
	apply(effects, c.pick(unit, "water_pressure"), lowWater)
	apply(effects, c.pick(unit, "hydrant_pressure"), lowWater)
	apply(effects, c.pick(unit, "gas_flow"), scale(func(e time.Duration) float64 { return 1 + 0.8*ramp(e, 2*time.Hour) }))
	apply(effects, c.pick(unit, "gas_pressure"), add(func(e time.Duration) float64 { return -40 * ramp(e, 2*time.Hour) }))
	return effects, orb.Point{}, nil
}

func placeWaterMainBurst(c *City, street string) (map[int]effect, orb.Point, error) {
	main, ok := c.streamOf("demo/" + street + "/watermain01/water_pressure")
	if !ok {
		return nil, orb.Point{}, model.Errorf(model.EINVALID, "street %s has no water main", street)
	}
	centre := c.point(main)
	effects := map[int]effect{}
	burst := func(e time.Duration) float64 { return approach(e, 20*time.Second) }
	low := add(func(e time.Duration) float64 { return -0.25 * burst(e) })
	apply(effects, c.pick(street, "water_pressure", PlaceWaterMain), low)
	for _, i := range c.pick(CityCode, "hydrant_pressure") {
		if distanceM(centre, c.point(i)) < 2500 {
			effects[i] = low
		}
	}
	apply(effects, c.pick(street, "water_flow", PlaceWaterMain), scale(func(e time.Duration) float64 { return 1 + 2*burst(e) }))
	apply(effects, c.pick(street, "water_turbidity", PlaceWaterMain), add(func(e time.Duration) float64 { return 8 * burst(e) }))
	apply(effects, c.pick(street, "ponding_depth", PlacePondingPoint), add(func(e time.Duration) float64 { return 0.35 * ramp(e, 15*time.Minute) }))
	return effects, centre, nil
}
