package simulate

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/paulmach/orb"

	"cityvitals/geo"
	"cityvitals/model"
)

// Scale is how big a demo city is.
type Scale string

const (
	ScaleSmall  Scale = "small"  // 4 districts, 36 streets, 1 km grid cells
	ScaleMedium Scale = "medium" // 8 districts, 72 streets, 500 m grid cells
)

// Scales lists the sizes GenerateCity accepts.
var Scales = []Scale{ScaleSmall, ScaleMedium}

type scaleSpec struct {
	districtCols, districtRows int
	streetsPerSide             int // each district is cut into side × side streets
	cellMetres                 float64
}

func (s Scale) spec() (scaleSpec, error) {
	switch s {
	case ScaleSmall:
		return scaleSpec{districtCols: 2, districtRows: 2, streetsPerSide: 3, cellMetres: 1000}, nil
	case ScaleMedium:
		return scaleSpec{districtCols: 4, districtRows: 2, streetsPerSide: 3, cellMetres: 500}, nil
	}
	return scaleSpec{}, model.Errorf(model.EINVALID, "scale %q is not one of %v", clip(string(s)), Scales)
}

// The demo city's bounding box, over Shanghai's coordinates (WGS84).
const (
	cityWest, cityEast   = 121.3, 121.7
	citySouth, cityNorth = 31.1, 31.35
)

// CityCode is the code of the demo city's root unit (Shanghai's division
// code, so the tree reads like the real one).
const CityCode = "310000"

// GatewayDevice is the device every demo stream belongs to: one gateway
// forwards the whole city's sensors, as an IoT platform would.
const GatewayDevice = "demo-gateway"

// Place says what a stream measures on; scenarios pick their streams by it.
type Place string

const (
	PlaceGasMain        Place = "gas_main"
	PlaceManhole        Place = "manhole"
	PlaceGasValve       Place = "gas_valve"
	PlaceKitchen        Place = "kitchen"
	PlaceRegulator      Place = "regulator"
	PlaceWaterMain      Place = "water_main"
	PlaceHydrant        Place = "hydrant"
	PlacePondingPoint   Place = "ponding_point"
	PlaceRiverGauge     Place = "river_gauge"
	PlacePumpStation    Place = "pump_station"
	PlaceTrafficSignal  Place = "traffic_signal"
	PlaceStreetLight    Place = "street_light"
	PlaceElevator       Place = "elevator"
	PlaceFirePanel      Place = "fire_panel"
	PlaceTransformer    Place = "transformer"
	PlaceSubstation     Place = "substation"
	PlaceNoiseMonitor   Place = "noise_monitor"
	PlaceHotline        Place = "hotline"
	PlaceMetroCamera    Place = "metro_camera"
	PlaceWeatherStation Place = "weather_station"
	PlaceAirStation     Place = "air_station"
	PlaceBridge         Place = "bridge"
)

// Stream is one datastream of the demo city with what the simulator needs
// to know about it.
type Stream struct {
	model.Datastream
	District, Street string // codes; Street is "" for district-level stations
	Place            Place
	// MainsPowered streams fall silent in a power cut; the rest run on
	// batteries or report from the feeder side.
	MainsPowered bool
}

// City is a generated demo city: everything Install puts into a platform
// and everything the simulator plays.
type City struct {
	Seed    int64
	Scale   Scale
	Units   []model.Unit // parents before children: city, districts, streets, grid cells
	Assets  []model.Asset
	Streams []Stream
	Teams   []model.Team
	// Districts and Streets are the codes of those levels, in order.
	Districts []string
	Streets   []string
	// streetOf maps a street code to its district code.
	districtOf map[string]string
}

// GenerateCity builds the demo city for a seed. The same seed and scale
// always give the same city. EINVALID for an unknown scale.
func GenerateCity(seed int64, scale Scale) (*City, error) {
	spec, err := scale.spec()
	if err != nil {
		return nil, err
	}
	c := &City{Seed: seed, Scale: scale, districtOf: map[string]string{}}
	c.Units = append(c.Units, model.Unit{
		Code: CityCode, Level: model.LevelCity, NameZH: "上海市（演示）", NameEN: "Shanghai (demo)",
		Geometry: quad{{cityWest, citySouth}, {cityEast, citySouth}, {cityEast, cityNorth}, {cityWest, cityNorth}}.polygon(),
	})
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6369747976))
	districts := tessellate(rng, spec.districtCols, spec.districtRows)
	for d, dq := range districts {
		if err := c.addDistrict(spec, d, dq); err != nil {
			return nil, err
		}
	}
	c.Teams = generateTeams(seed, c)
	return c, nil
}

func (c *City) addDistrict(spec scaleSpec, d int, dq quad) error {
	code := fmt.Sprintf("3101%02d", d+1)
	c.Districts = append(c.Districts, code)
	c.Units = append(c.Units, model.Unit{
		Code: code, Parent: CityCode, Level: model.LevelDistrict,
		NameZH: fmt.Sprintf("演示%d区", d+1), NameEN: fmt.Sprintf("Demo District %d", d+1), Geometry: dq.polygon(),
	})
	rng := rand.New(rand.NewPCG(uint64(c.Seed), uint64(1000+d)))
	c.addDistrictStations(rng, code, dq)
	n := spec.streetsPerSide
	for j := range n * n {
		sq := dq.sub(j%n, j/n, n)
		scode := fmt.Sprintf("%s%03d", code, j+1)
		street := model.Unit{
			Code: scode, Parent: code, Level: model.LevelStreet,
			NameZH: fmt.Sprintf("演示%d区第%d街道", d+1, j+1), NameEN: fmt.Sprintf("Demo street %d-%d", d+1, j+1), Geometry: sq.polygon(),
		}
		c.Units = append(c.Units, street)
		c.Streets = append(c.Streets, scode)
		c.districtOf[scode] = code
		cells, err := geo.GenerateGrid(street, spec.cellMetres, geo.GridSquare)
		if err != nil {
			return fmt.Errorf("grid for street %s: %w", scode, err)
		}
		c.Units = append(c.Units, cells...)
		c.addStreetAssets(rand.New(rand.NewPCG(uint64(c.Seed), uint64(100_000+d*1000+j))), code, scode, sq)
	}
	return nil
}

// DistrictOf returns the district a street belongs to.
func (c *City) DistrictOf(street string) (string, bool) {
	d, ok := c.districtOf[street]
	return d, ok
}

// builder adds one asset and its streams at a time.
type builder struct {
	c                *City
	district, street string
}

func (b builder) asset(id string, typ model.AssetType, dept, nameZH, nameEN string, g orb.Geometry, attrs map[string]string) model.Asset {
	a := model.Asset{ID: id, Type: typ, Dept: dept, NameZH: nameZH, NameEN: nameEN, Status: "ok", Geometry: g, Attrs: attrs}
	b.c.Assets = append(b.c.Assets, a)
	return a
}

// streams registers one stream per property at pt; asset may be "".
func (b builder) streams(prefix string, place Place, assetID string, pt orb.Point, mains bool, props ...string) {
	for _, p := range props {
		b.c.Streams = append(b.c.Streams, Stream{
			Datastream: model.Datastream{
				Key: prefix + "/" + p, Name: prefix + " " + p, Property: p, Interval: registeredInterval(p),
				Device: GatewayDevice, Asset: assetID, Lon: pt[0], Lat: pt[1], HasPoint: true,
			},
			District: b.district, Street: b.street, Place: place, MainsPowered: mains,
		})
	}
}

// registeredInterval is the reporting interval a demo stream is registered
// with: the catalog's, capped at a minute so that silence shows within
// minutes in a demo. Hotline counts keep their hour: their indicators sum
// hourly reports.
func registeredInterval(prop string) time.Duration {
	if fixedInterval[prop] {
		return time.Hour
	}
	return time.Minute
}

// fixedInterval are the properties whose reports are counts per interval,
// so they are never sent faster than registered.
var fixedInterval = map[string]bool{"hotline_calls": true, "hotline_urgent_calls": true}

func (c *City) addStreetAssets(rng *rand.Rand, district, street string, sq quad) {
	b := builder{c: c, district: district, street: street}
	key := func(kind string, i int) (string, string) {
		return fmt.Sprintf("demo-%s-%s%02d", street, kind, i), fmt.Sprintf("demo/%s/%s%02d", street, kind, i)
	}
	// A gas main across the street with adjacent manholes every 60 m
	// around its middle: the neighbours a leak migrates into.
	mainA, mainB := sq.at(0.15, 0.5), sq.at(0.85, 0.5)
	id, k := key("gasmain", 1)
	b.asset(id, "gas_pipe_segment", "gas", "中压燃气干管", "Medium-pressure gas main", orb.LineString{mainA, mainB}, map[string]string{"pressure_class": "medium-B"})
	b.streams(k, PlaceGasMain, id, midpoint(mainA, mainB), false, "gas_pressure", "gas_flow")
	for i := range 8 {
		pt := along(mainA, mainB, distanceM(mainA, mainB)/2+float64(i)*60-210)
		pt = offsetM(pt, 0, 8) // beside the main, under the pavement
		id, k := key("manhole", i+1)
		b.asset(id, "manhole_cover", "gas", "燃气相邻窨井", "Manhole next to the gas main", pt, map[string]string{"subkind": "gas"})
		props := []string{"gas_lel", "manhole_tilt"}
		if i%4 == 0 {
			props = append(props, "ponding_depth")
		}
		b.streams(k, PlaceManhole, id, pt, false, props...)
	}
	for i, end := range []orb.Point{mainA, mainB} {
		id, k := key("valve", i+1)
		b.asset(id, "gas_valve", "gas", "燃气阀门", "Gas valve", end, nil)
		b.streams(k, PlaceGasValve, id, end, false, "gas_valve_state", "gas_pressure")
	}
	b.scatter(rng, sq, key, "kitchen", 3, "restaurant_kitchen", "housing", "餐饮场所厨房", "Restaurant kitchen", PlaceKitchen, true, "gas_lel", "smoke_concentration")

	waterA, waterB := sq.at(0.1, 0.35), sq.at(0.9, 0.35)
	id, k = key("watermain", 1)
	b.asset(id, "water_main", "water", "供水干管", "Water main", orb.LineString{waterA, waterB}, map[string]string{"diameter_mm": "600"})
	b.streams(k, PlaceWaterMain, id, midpoint(waterA, waterB), false, "water_pressure", "water_flow", "water_turbidity", "residual_chlorine")
	for i := range 3 {
		pt := offsetM(along(waterA, waterB, distanceM(waterA, waterB)*(0.25+0.25*float64(i))), 0, 15)
		id, k := key("hydrant", i+1)
		b.asset(id, "hydrant", "fire", "市政消火栓", "Fire hydrant", pt, nil)
		b.streams(k, PlaceHydrant, id, pt, false, "hydrant_pressure")
	}
	b.scatter(rng, sq, key, "ponding", 2, "flood_gauge", "drainage", "积水监测点", "Ponding point", PlacePondingPoint, false, "ponding_depth", "rainfall_rate", "rainfall")
	b.scatter(rng, sq, key, "river", 1, "flood_gauge", "drainage", "河道水位站", "River gauge", PlaceRiverGauge, false, "water_level", "flood_stage_index")
	b.scatter(rng, sq, key, "signal", 3, "traffic_signal", "traffic-police", "交通信号灯", "Traffic signal", PlaceTrafficSignal, true, "traffic_flow", "traffic_speed")
	b.scatter(rng, sq, key, "lamp", 6, "street_light", "greening", "路灯", "Street light", PlaceStreetLight, true, "lamp_state")
	b.scatter(rng, sq, key, "elevator", 6, "elevator", "housing", "住宅电梯", "Residential elevator", PlaceElevator, true, "elevator_state", "elevator_fault_code")
	station := sq.at(0.3+0.4*rng.Float64(), 0.6+0.3*rng.Float64())
	for i, east := range []float64{-40, 40} { // one camera per entrance
		pt := offsetM(station, east, 0)
		id, k := key("metrocam", i+1)
		b.asset(id, "camera", "metro", "地铁站出入口客流摄像机", "Metro station entrance crowd camera", pt, map[string]string{"station": street + "-metro"})
		b.streams(k, PlaceMetroCamera, id, pt, true, "crowd_count", "crowd_density", "crowd_load")
	}
	b.points(rng, sq, "firepanel", 4, PlaceFirePanel, true, "fire_alarm_state")
	b.points(rng, sq, "transformer", 6, PlaceTransformer, false, "power_supply_state")
	b.points(rng, sq, "transformerload", 6, PlaceTransformer, true, "transformer_load_rate", "voltage_deviation")
	b.points(rng, sq, "noise", 2, PlaceNoiseMonitor, true, "noise")
	b.streams(fmt.Sprintf("demo/%s/hotline", street), PlaceHotline, "", sq.at(0.5, 0.5), false, "hotline_calls", "hotline_urgent_calls")
}

// scatter places n assets of one type at random points of the street,
// each with the given streams.
func (b builder) scatter(rng *rand.Rand, sq quad, key func(string, int) (string, string), kind string, n int, typ model.AssetType, dept, nameZH, nameEN string, place Place, mains bool, props ...string) {
	for i := range n {
		pt := sq.at(0.08+0.84*rng.Float64(), 0.08+0.84*rng.Float64())
		id, k := key(kind, i+1)
		b.asset(id, typ, dept, nameZH, nameEN, pt, nil)
		b.streams(k, place, id, pt, mains, props...)
	}
}

// points places n sensors with no catalogued asset type (fire panels,
// transformers, noise monitors) at random points of the street.
func (b builder) points(rng *rand.Rand, sq quad, kind string, n int, place Place, mains bool, props ...string) {
	for i := range n {
		pt := sq.at(0.08+0.84*rng.Float64(), 0.08+0.84*rng.Float64())
		b.streams(fmt.Sprintf("demo/%s/%s%02d", b.street, kind, i+1), place, "", pt, mains, props...)
	}
}

// addDistrictStations adds what a district has one or two of: a gas
// regulator station, a pump station, weather and air stations, a bridge
// and a substation.
func (c *City) addDistrictStations(rng *rand.Rand, district string, dq quad) {
	b := builder{c: c, district: district}
	id := func(kind string) (string, string) {
		return "demo-" + district + "-" + kind, "demo/" + district + "/" + kind
	}
	aid, k := id("regulator")
	pt := dq.at(0.3, 0.7)
	b.asset(aid, "pressure_regulator_station", "gas", "区域调压站", "District gas regulator station", squareAround(pt, 30), nil)
	b.streams(k, PlaceRegulator, aid, pt, false, "gas_pressure", "gas_flow", "gas_lel")
	aid, k = id("pump")
	pt = dq.at(0.7, 0.3)
	b.asset(aid, "pump_station", "drainage", "雨水泵站", "Storm-water pump station", squareAround(pt, 40), nil)
	b.streams(k, PlacePumpStation, aid, pt, true, "pump_state", "water_level", "water_flow")
	for i, uv := range [][2]float64{{0.25, 0.25}, {0.75, 0.75}} {
		b.streams(fmt.Sprintf("demo/%s/weather%d", district, i+1), PlaceWeatherStation, "", dq.at(uv[0], uv[1]), false,
			"air_temperature", "dew_point", "air_pressure", "relative_humidity", "wind_speed", "wind_direction", "rainfall_rate", "rainfall")
	}
	b.streams("demo/"+district+"/air", PlaceAirStation, "", dq.at(0.5, 0.45), false, "pm25", "pm10", "so2", "no2", "co", "o3", "aqi")
	aid, k = id("bridge")
	a, z := dq.at(0.4+0.05*rng.Float64(), 0.6), dq.at(0.55, 0.6)
	b.asset(aid, "bridge", "roads", "跨河桥梁", "River bridge", orb.LineString{a, z}, nil)
	b.streams(k, PlaceBridge, aid, midpoint(a, z), false, "bridge_strain", "bridge_deflection", "traffic_flow")
	aid, k = id("substation")
	pt = dq.at(0.6, 0.55)
	b.asset(aid, "power_tower", "power", "110kV变电站进线", "110 kV substation feeder", pt, nil)
	b.streams(k, PlaceSubstation, aid, pt, false, "power_load", "voltage")
}
