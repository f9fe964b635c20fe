package indicator

import (
	"time"
)

// Level is a warning grade. The Chinese practice names four grades from
// blue (IV, least severe) to red (I, most severe); LevelNone means the
// indicator is within its normal range, LevelNoData that there was nothing
// to compute it from.
type Level int8

const (
	LevelNoData Level = -1
	LevelNone   Level = 0
	LevelBlue   Level = 1 // IV 蓝色
	LevelYellow Level = 2 // III 黄色
	LevelOrange Level = 3 // II 橙色
	LevelRed    Level = 4 // I 红色
)

// Direction says which side of the thresholds is bad.
type Direction string

const (
	HighIsBad   Direction = "high" // level rises as the value rises
	LowIsBad    Direction = "low"  // level rises as the value falls
	OutsideBand Direction = "band" // level rises as the value leaves [Low, High] either way
)

// Thresholds are the boundaries of the four grades. For HighIsBad a value
// at or above Red is red; for LowIsBad at or below. A nil bound means the
// grade is not used. For OutsideBand, the Low* and High* pairs apply on
// each side.
type Thresholds struct {
	Blue, Yellow, Orange, Red *float64
	// Band only: the lower-side bounds (the fields above are the upper side).
	LowBlue, LowYellow, LowOrange, LowRed *float64
}

// RollupRule says how a parent unit's value and level come from its
// children's.
type RollupRule string

const (
	RollupWorst      RollupRule = "worst"       // level = worst child level, value = that child's value
	RollupMax        RollupRule = "max"         // value = max of children, graded by the thresholds
	RollupMin        RollupRule = "min"         // value = min of children, graded
	RollupSum        RollupRule = "sum"         // value = sum of children, graded
	RollupAvg        RollupRule = "avg"         // value = mean of children weighted by their stream counts, graded
	RollupShareAbove RollupRule = "share_above" // value = share of children at or above RollupLevel, graded by RollupThresholds
	RollupNone       RollupRule = "none"        // not computed above its level
)

// Indicator is one vital sign: a catalog entry. The tree is domain ›
// core indicator (Parent == "") › sub-indicators (Parent = the core's ID).
type Indicator struct {
	ID         string
	Parent     string // "" for a core indicator
	Domain     string
	NameZH     string
	NameEN     string
	Unit       string // unit of measurement of the value
	Dept       string // owner department
	Level      string // unit-tree level it is computed at: grid, community, street, district, city
	Window     time.Duration
	Expr       string // CEL
	Direction  Direction
	Thresholds Thresholds
	// Hysteresis: a level is left only when the value has moved back past
	// the threshold by this much (in the value's unit), so a value
	// hovering at a threshold does not flap.
	Hysteresis       float64
	Rollup           RollupRule
	RollupLevel      Level             // share_above only
	RollupThresholds Thresholds        // share_above only (on the share, 0..1)
	RollupHysteresis float64           // share_above only: Hysteresis for the share
	WhyZH, WhyEN     string            // why it matters
	Sources          map[string]string // what each threshold or formula is taken from
	Effective        time.Time         // event time from which this version is in force
	File             string            // where it was loaded from, for errors
	Line             int
}

// The compiled form, implemented in program.go (the engine calls only
// these methods):
//
//	func (p *Program) Indicator() *Indicator
//	func (p *Program) Needs() []Need          // inputs, for the engine to keep history for
//	func (p *Program) Deps() []string         // ids of indicators it reads with ind()
//	func (p *Program) Eval(s Scope) (value float64, ok bool, err error)
//	func (p *Program) Grade(value float64, prev Level) Level // thresholds, direction, hysteresis
//	func (p *Program) GradeRollup(share float64, prev Level) Level // share_above roll-ups
//
// and the catalog:
//
//	func Default(props *property.Catalog, assets *asset.TypeCatalog) (*Catalog, error)
//	func Load(props *property.Catalog, assets *asset.TypeCatalog, paths ...string) (*Catalog, error)
//	func (c *Catalog) Programs() []*Program   // every indicator in force, dependencies first
//	func (c *Catalog) Program(id string) (*Program, bool)
//	func (c *Catalog) Domains() []string
