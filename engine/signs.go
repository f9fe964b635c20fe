package engine

import (
	"slices"

	"cityvitals/indicator"
)

// Sign is one indicator's current state in one unit.
type Sign struct {
	Indicator string
	Value     float64
	HasValue  bool
	Level     indicator.Level
	Trend     []float64 // the last ≤ 30 evaluated values, oldest first
	Updated   int64     // tick of the last evaluation, Unix ms
}

// UnitSigns is a snapshot of a unit's vital signs.
type UnitSigns struct {
	Unit    string
	Time    int64 // the newest Updated of its signs
	Signs   []Sign
	Health  map[string]float64 // per domain with data, 0..100
	Overall float64            // 0..100; 100 when no domain has data
	Worst   indicator.Level    // highest level of any sign; LevelNoData when none has one
}

// Signs returns a snapshot of unit's signs in catalog order; "" is the
// whole city. It is safe to call while the engine runs.
func (e *Engine) Signs(unit string) (UnitSigns, bool) {
	e.signsMu.RLock()
	defer e.signsMu.RUnlock()
	u, ok := e.proc.tree.units[unit]
	if !ok {
		return UnitSigns{}, false
	}
	out := UnitSigns{Unit: unit, Worst: indicator.LevelNoData}
	var levels []domainLevel
	for _, pp := range e.proc.signOrder() {
		s := u.sign(pp.sign)
		if s == nil {
			continue
		}
		out.Signs = append(out.Signs, Sign{
			Indicator: pp.ind.ID,
			Value:     s.value,
			HasValue:  s.hasValue,
			Level:     s.level,
			Trend:     s.trendValues(u),
			Updated:   s.updated,
		})
		out.Time = max(out.Time, s.updated)
		out.Worst = max(out.Worst, s.level)
		levels = append(levels, domainLevel{domain: pp.ind.Domain, level: s.level})
	}
	out.Health, out.Overall = health(levels)
	return out, true
}

// signOrder is the programs whose signs Signs reports: those of the last
// evaluated tick, or the catalog's before the first tick.
func (p *processor) signOrder() []*programPlan {
	if p.order != nil {
		return p.order.programs
	}
	var out []*programPlan
	for _, prog := range p.cat.Programs() {
		if pp, ok := p.plan.byProg[prog]; ok {
			out = append(out, pp)
		}
	}
	return out
}

type domainLevel struct {
	domain string
	level  indicator.Level
}

// penalty is how much a level costs a domain's health.
func penalty(l indicator.Level) float64 {
	switch l {
	case indicator.LevelBlue:
		return 10
	case indicator.LevelYellow:
		return 30
	case indicator.LevelOrange:
		return 60
	case indicator.LevelRed:
		return 100
	}
	return 0
}

// health scores each domain 100 − (0.6 × max penalty + 0.4 × mean
// penalty) over its indicators with data, and the whole unit 0.5 × the
// worst domain + 0.5 × the domains' mean. The max term makes one red
// indicator weigh however many green ones surround it.
func health(levels []domainLevel) (map[string]float64, float64) {
	type acc struct {
		max, sum float64
		n        int
	}
	byDomain := make(map[string]*acc)
	for _, dl := range levels {
		if dl.level == indicator.LevelNoData {
			continue
		}
		a := byDomain[dl.domain]
		if a == nil {
			a = &acc{}
			byDomain[dl.domain] = a
		}
		pen := penalty(dl.level)
		a.max, a.sum, a.n = max(a.max, pen), a.sum+pen, a.n+1
	}
	scores := make(map[string]float64, len(byDomain))
	if len(byDomain) == 0 {
		return scores, 100
	}
	domains := make([]string, 0, len(byDomain))
	for d := range byDomain {
		domains = append(domains, d)
	}
	slices.Sort(domains) // a fixed order keeps the float sum reproducible
	worst, sum := 100.0, 0.0
	for _, d := range domains {
		a := byDomain[d]
		score := 100 - (0.6*a.max + 0.4*a.sum/float64(a.n))
		scores[d] = score
		worst = min(worst, score)
		sum += score
	}
	return scores, 0.5*worst + 0.5*sum/float64(len(domains))
}
