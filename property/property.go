package property

import (
	"slices"
	"time"
)

// Domain groups properties by the city system they watch.
type Domain string

// Known domains. A catalog entry with any other domain is rejected.
const (
	DomainGas         Domain = "gas"         // 燃气
	DomainWater       Domain = "water"       // 供水
	DomainDrainage    Domain = "drainage"    // 排水防汛
	DomainWeather     Domain = "weather"     // 气象
	DomainEnvironment Domain = "environment" // 生态环境
	DomainTraffic     Domain = "traffic"     // 交通
	DomainCrowd       Domain = "crowd"       // 人流
	DomainPower       Domain = "power"       // 电力
	DomainFire        Domain = "fire"        // 消防
	DomainElevator    Domain = "elevator"    // 电梯
	DomainBridge      Domain = "bridge"      // 桥梁
	DomainMunicipal   Domain = "municipal"   // 市政设施 (manhole covers, street furniture)
	DomainHotline     Domain = "hotline"     // 12345 市民服务热线
)

// knownDomains lists every known domain; never modified.
var knownDomains = []Domain{
	DomainGas, DomainWater, DomainDrainage, DomainWeather, DomainEnvironment,
	DomainTraffic, DomainCrowd, DomainPower, DomainFire, DomainElevator,
	DomainBridge, DomainMunicipal, DomainHotline,
}

// Known reports whether d is one of the domains declared above.
func (d Domain) Known() bool { return slices.Contains(knownDomains, d) }

// Domains returns every known domain.
func Domains() []Domain { return slices.Clone(knownDomains) }

// Kind tells how a property's values are read.
type Kind string

const (
	// KindQuantity is a measured amount in a unit ("12.5 kPa").
	KindQuantity Kind = "quantity"
	// KindState is a coded state ("0 = normal, 1 = fault"); values must
	// be one of the property's States.
	KindState Kind = "state"
	// KindCode is an opaque integer code with no fixed list, such as a
	// vendor's elevator fault code; values must be whole numbers.
	KindCode Kind = "code"
)

// State is one coded value of a state property.
type State struct {
	Code   int    `json:"code" yaml:"code"`
	NameZH string `json:"name_zh" yaml:"name_zh"`
	NameEN string `json:"name_en" yaml:"name_en"`
}

// Property is one observed property: a quantity or state a datastream
// measures. Min and Max bound the physically plausible values in UoM;
// readings outside them are rejected at ingest as sensor nonsense, not
// flagged as alarms (alarm thresholds belong to the indicator catalog).
type Property struct {
	ID              string        `json:"id"`
	NameZH          string        `json:"name_zh"`
	NameEN          string        `json:"name_en"`
	UoM             string        `json:"uom"` // canonical unit of measurement
	Domain          Domain        `json:"domain"`
	Kind            Kind          `json:"kind"`
	Min             float64       `json:"min"`
	Max             float64       `json:"max"`
	DefaultInterval time.Duration `json:"-"`
	States          []State       `json:"states,omitempty"` // KindState only
	Source          string        `json:"source,omitempty"` // where the range or unit comes from
}

// State returns the state with the given code.
func (p Property) State(code int) (State, bool) {
	for _, s := range p.States {
		if s.Code == code {
			return s, true
		}
	}
	return State{}, false
}
