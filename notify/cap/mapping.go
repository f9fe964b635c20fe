package cap

import "fmt"

// Level is the platform's warning level, 1 (blue) to 4 (red), as in the
// Chinese four-colour warning signals (预警信号 蓝黄橙红).
type Level int

// Warning levels.
const (
	LevelBlue   Level = 1 // IV  一般
	LevelYellow Level = 2 // III 较重
	LevelOrange Level = 3 // II  严重
	LevelRed    Level = 4 // I   特别严重
)

// String returns the colour name, which is also the value of the "level"
// parameter in every rendered document.
func (l Level) String() string {
	switch l {
	case LevelBlue:
		return "blue"
	case LevelYellow:
		return "yellow"
	case LevelOrange:
		return "orange"
	case LevelRed:
		return "red"
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

// Valid reports whether l is one of the four levels.
func (l Level) Valid() bool { return l >= LevelBlue && l <= LevelRed }

// UrgencySeverity returns the CAP urgency and severity of a level, or
// Unknown for both if l is not a valid level.
//
// The mapping reads the Chinese four-colour warning signals in CAP terms:
// red (特别严重) means act now against extreme harm, orange (严重) and
// yellow (较重) that severe or moderate harm is expected within hours, blue
// (一般) that minor harm may come later. Certainty is not derived from the
// level: it is an input (Observed or Likely) of each Warning.
func UrgencySeverity(l Level) (Urgency, Severity) {
	switch l {
	case LevelBlue:
		return UrgencyFuture, SeverityMinor
	case LevelYellow:
		return UrgencyExpected, SeverityModerate
	case LevelOrange:
		return UrgencyExpected, SeveritySevere
	case LevelRed:
		return UrgencyImmediate, SeverityExtreme
	}
	return UrgencyUnknown, SeverityUnknown
}

// Domain is the field of city operations a warning comes from.
type Domain string

// Domains the platform warns about.
const (
	DomainGas          Domain = "gas"          // gas network: leaks, pressure
	DomainWater        Domain = "water"        // water supply: pressure, bursts, quality
	DomainDrainage     Domain = "drainage"     // waterlogging (内涝), sewer overflow
	DomainFlood        Domain = "flood"        // river and tide levels
	DomainWeather      Domain = "weather"      // rainstorm, typhoon, heat, fog
	DomainAir          Domain = "air"          // air quality
	DomainPower        Domain = "power"        // electricity supply
	DomainStructure    Domain = "structure"    // bridges, buildings, manholes, elevators
	DomainGeology      Domain = "geology"      // subsidence, landslide
	DomainTraffic      Domain = "traffic"      // roads and transit
	DomainFire         Domain = "fire"         // fire
	DomainHealth       Domain = "health"       // public health
	DomainPublicSafety Domain = "publicsafety" // crowds, public order
)

// Categories returns the CAP categories of a domain, and false if the
// domain is unknown. The choices, where CAP leaves room:
//   - gas: Safety (people are in danger of explosion) and Infra (the
//     network itself is failing); not CBRNE, which is for hazardous
//     materials, not town gas.
//   - flood and drainage: Met, because CAP 1.2 defines Met as
//     "meteorological (including flood)"; drainage adds Infra since the
//     sewer network is the failing asset.
//   - geology: Geo ("geophysical, including landslide").
//   - structure: Safety and Infra, like gas.
func Categories(d Domain) ([]Category, bool) {
	switch d {
	case DomainGas, DomainStructure:
		return []Category{CategorySafety, CategoryInfra}, true
	case DomainWater, DomainPower:
		return []Category{CategoryInfra}, true
	case DomainDrainage:
		return []Category{CategoryMet, CategoryInfra}, true
	case DomainFlood, DomainWeather:
		return []Category{CategoryMet}, true
	case DomainAir:
		return []Category{CategoryEnv}, true
	case DomainGeology:
		return []Category{CategoryGeo}, true
	case DomainTraffic:
		return []Category{CategoryTransport}, true
	case DomainFire:
		return []Category{CategoryFire}, true
	case DomainHealth:
		return []Category{CategoryHealth}, true
	case DomainPublicSafety:
		return []Category{CategorySafety, CategorySecurity}, true
	}
	return nil, false
}
