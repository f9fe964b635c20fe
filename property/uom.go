package property

import (
	"strings"
)

// unit is a unit of measurement the catalog can convert: a value v in this
// unit is v*scale+offset in the base unit of its dimension.
type unit struct {
	symbol    string // canonical spelling
	dimension string
	scale     float64
	offset    float64
}

// units lists the units readings may arrive in. The first symbol of each
// row is canonical; the others are spellings devices and files use.
var units = []struct {
	unit
	aliases []string
}{
	// pressure, base Pa
	{unit{"Pa", "pressure", 1, 0}, nil},
	{unit{"hPa", "pressure", 100, 0}, []string{"mbar", "millibar"}},
	{unit{"kPa", "pressure", 1e3, 0}, nil},
	{unit{"MPa", "pressure", 1e6, 0}, nil},
	{unit{"bar", "pressure", 1e5, 0}, nil},
	// volume flow, base m³/h
	{unit{"m³/h", "flow", 1, 0}, []string{"m3/h", "m^3/h", "cmh", "立方米/小时"}},
	{unit{"m³/s", "flow", 3600, 0}, []string{"m3/s", "m^3/s", "cms"}},
	{unit{"L/s", "flow", 3.6, 0}, []string{"l/s"}},
	// length, base m
	{unit{"m", "length", 1, 0}, []string{"米"}},
	{unit{"cm", "length", 0.01, 0}, []string{"厘米"}},
	{unit{"mm", "length", 0.001, 0}, []string{"毫米"}},
	// precipitation rate, base mm/h
	{unit{"mm/h", "rate", 1, 0}, []string{"mm/hr", "毫米/小时"}},
	{unit{"mm/min", "rate", 60, 0}, nil},
	// mass concentration in air, base µg/m³
	{unit{"µg/m³", "mass_concentration", 1, 0}, []string{"ug/m3", "ug/m^3", "µg/m3", "μg/m³", "μg/m3", "微克/立方米"}},
	{unit{"mg/m³", "mass_concentration", 1e3, 0}, []string{"mg/m3", "mg/m^3", "毫克/立方米"}},
	// mass concentration in water, base mg/L
	{unit{"mg/L", "water_concentration", 1, 0}, []string{"mg/l", "ppm(w)"}},
	// temperature, base °C
	{unit{"°C", "temperature", 1, 0}, []string{"℃", "degC", "deg C", "C", "摄氏度"}},
	{unit{"K", "temperature", 1, -273.15}, []string{"kelvin"}},
	{unit{"°F", "temperature", 5.0 / 9, -32 * 5.0 / 9}, []string{"℉", "degF", "F"}},
	// speed, base m/s
	{unit{"m/s", "speed", 1, 0}, []string{"米/秒"}},
	{unit{"km/h", "speed", 1 / 3.6, 0}, []string{"kmh", "km/hr", "kph", "公里/小时"}},
	// angle, base degree
	{unit{"°", "angle", 1, 0}, []string{"deg", "degree", "degrees", "度"}},
	// ratios, each its own dimension so that "%" never converts to "%LEL"
	{unit{"%", "percent", 1, 0}, []string{"percent", "%RH", "pct"}},
	{unit{"%LEL", "lel", 1, 0}, []string{"% LEL", "LEL%", "%lel"}},
	{unit{"1", "dimensionless", 1, 0}, []string{"index", "-"}},
	// counts and rates of counts
	{unit{"veh/h", "vehicle_rate", 1, 0}, []string{"vehicles/h", "pcu/h", "辆/小时"}},
	{unit{"persons", "count", 1, 0}, []string{"person", "people", "人"}},
	{unit{"hazards", "hazard_count", 1, 0}, []string{"hazard", "处"}},
	{unit{"calls/h", "call_rate", 1, 0}, []string{"calls per hour", "件/小时"}},
	{unit{"persons/m²", "density", 1, 0}, []string{"persons/m2", "person/m2", "人/平方米"}},
	// electricity
	{unit{"MW", "power", 1e6, 0}, nil},
	{unit{"kW", "power", 1e3, 0}, nil},
	{unit{"kV", "voltage", 1e3, 0}, nil},
	{unit{"V", "voltage", 1, 0}, nil},
	// structural strain, base µε
	{unit{"µε", "strain", 1, 0}, []string{"με", "ue", "microstrain"}},
	// sound level; "dB" is accepted because most meters report A-weighted
	{unit{"dB(A)", "sound", 1, 0}, []string{"dBA", "dB", "分贝"}},
	{unit{"NTU", "turbidity", 1, 0}, nil},
	{unit{"%/m", "obscuration", 1, 0}, []string{"%obs/m", "obs%/m"}},
	{unit{"code", "code", 1, 0}, []string{"state", "enum"}},
}

// unitTable indexes units by every spelling, folded by foldUoM.
type unitTable map[string]unit

func newUnitTable() unitTable {
	t := make(unitTable, 4*len(units))
	for _, u := range units {
		t[foldUoM(u.symbol)] = u.unit
		for _, a := range u.aliases {
			t[foldUoM(a)] = u.unit
		}
	}
	return t
}

// lookup returns the unit spelled s, if known.
func (t unitTable) lookup(s string) (unit, bool) {
	u, ok := t[foldUoM(s)]
	return u, ok
}

// foldUoM removes the differences between spellings of one unit that
// carry no meaning: surrounding and inner spaces, Greek mu versus micro
// sign, superscript versus plain digits. Case is kept: "MPa" is not "mPa".
var uomFolder = strings.NewReplacer(
	" ", "",
	"μ", "u", // Greek small letter mu
	"µ", "u", // micro sign
	"³", "3",
	"²", "2",
)

func foldUoM(s string) string { return uomFolder.Replace(strings.TrimSpace(s)) }

// CanonicalUoM returns the canonical spelling of a known unit ("ug/m3" →
// "µg/m³"), and false if s is not a unit the catalog knows.
func CanonicalUoM(s string) (string, bool) {
	u, ok := defaultUnits.lookup(s)
	return u.symbol, ok
}

// defaultUnits is built once from the constant table above and only read.
var defaultUnits = newUnitTable()

// convert returns v, measured in from, expressed in to. Both must share a
// dimension.
func convert(v float64, from, to unit) float64 {
	if from.symbol == to.symbol {
		return v
	}
	base := v*from.scale + from.offset
	return (base - to.offset) / to.scale
}
