package indicator

import (
	"errors"
	"math"
	"slices"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
)

// errNoData is the CEL error a function returns when it has nothing to
// work on; Eval turns it into ok=false rather than an error.
var errNoData = errors.New("no data")

// noData is errNoData as a CEL value: a fresh one every time, because
// CEL labels an error value with the expression node it came from, so a
// shared value would be written by every evaluation running in parallel.
func noData() ref.Val { return types.WrapErr(errNoData) }

// Names the compiler gives to the hidden parts of ind(): the macro
// ind("id") expands to @ind(@scope, "id"). Names starting with @ cannot be
// written in an expression, so authors cannot reach them directly.
const (
	scopeVar    = "@scope"
	indFunction = "@ind"
	onFunction  = "on"
)

// historyFunctions read every point of the window (Totals, Changes); a
// selection that flows into one of them needs History.
var historyFunctions = map[string]bool{"accum": true, "rise": true, "fall": true, "drop": true, "gain": true}

// reducer reduces a selection to a number, or returns noData().
type reducer func(StreamSet) ref.Val

// reducers are the functions of one selection argument, by CEL name.
var reducers = map[string]reducer{
	"avg":       overLatest(mean),
	"min":       overLatest(func(v []float64) float64 { return slices.Min(v) }),
	"max":       overLatest(func(v []float64) float64 { return slices.Max(v) }),
	"sum":       overLatest(total),
	"p95":       overLatest(p95),
	"count":     countReporting,
	"reporting": reportingShare,
	"accum":     largestTotal,
	"rise":      fastestChange(1),
	"fall":      fastestChange(-1),
	"drop":      largestChange(-1),
	"gain":      largestChange(1),
}

// comparators count the streams whose latest value is beyond a bound.
var comparators = map[string]func(v, bound float64) bool{
	"above": func(v, bound float64) bool { return v > bound },
	"below": func(v, bound float64) bool { return v < bound },
}

// functionOptions declares the CEL functions of docs/indicators.md.
func functionOptions() []cel.EnvOption {
	opts := []cel.EnvOption{
		cel.Function(onFunction, cel.MemberOverload("selection_on_string",
			[]*cel.Type{selectionType, cel.StringType}, selectionType,
			cel.BinaryBinding(narrow))),
		cel.Function(indFunction, cel.Overload("ind_scope_string",
			[]*cel.Type{scopeType, cel.StringType}, cel.DoubleType,
			cel.BinaryBinding(otherIndicator))),
	}
	for name, reduce := range reducers {
		opts = append(opts, cel.Function(name, cel.Overload(name+"_selection",
			[]*cel.Type{selectionType}, cel.DoubleType,
			cel.UnaryBinding(bindReducer(reduce)))))
	}
	for name, beyond := range comparators {
		opts = append(opts, cel.Function(name, cel.Overload(name+"_selection_double",
			[]*cel.Type{selectionType, cel.DoubleType}, cel.DoubleType,
			cel.BinaryBinding(bindComparator(beyond)))))
	}
	return opts
}

func narrow(sel, assetType ref.Val) ref.Val {
	s, ok := sel.(*selection)
	t, tok := assetType.(types.String)
	if !ok || !tok {
		return types.NoSuchOverloadErr()
	}
	return &selection{scope: s.scope, property: s.property, assetType: string(t)}
}

func otherIndicator(scope, id ref.Val) ref.Val {
	s, ok := scope.(scopeVal)
	name, nok := id.(types.String)
	if !ok || !nok {
		return types.NoSuchOverloadErr()
	}
	v, found := s.scope.Indicator(string(name))
	if !found {
		return noData()
	}
	return types.Double(v)
}

func bindReducer(reduce reducer) func(ref.Val) ref.Val {
	return func(arg ref.Val) ref.Val {
		s, ok := arg.(*selection)
		if !ok {
			return types.NoSuchOverloadErr()
		}
		return reduce(s.streams())
	}
}

func bindComparator(beyond func(v, bound float64) bool) func(ref.Val, ref.Val) ref.Val {
	return func(arg, bound ref.Val) ref.Val {
		s, ok := arg.(*selection)
		b, bok := bound.(types.Double)
		if !ok || !bok {
			return types.NoSuchOverloadErr()
		}
		latest := s.streams().Latest()
		if len(latest) == 0 {
			return noData()
		}
		n := 0
		for _, v := range latest {
			if beyond(v, float64(b)) {
				n++
			}
		}
		return types.Double(n)
	}
}

// overLatest applies f to the latest values, which are never empty when f
// runs.
func overLatest(f func([]float64) float64) reducer {
	return func(set StreamSet) ref.Val {
		latest := set.Latest()
		if len(latest) == 0 {
			return noData()
		}
		return types.Double(f(latest))
	}
}

func total(v []float64) float64 {
	var sum float64
	for _, x := range v {
		sum += x
	}
	return sum
}

func mean(v []float64) float64 { return total(v) / float64(len(v)) }

// p95 is the nearest-rank 95th percentile. The slice belongs to the engine
// and must not be reordered, so it sorts a copy.
func p95(v []float64) float64 {
	sorted := slices.Clone(v)
	slices.Sort(sorted)
	rank := int(math.Ceil(0.95 * float64(len(sorted))))
	return sorted[max(rank, 1)-1]
}

// countReporting is no data only when nothing is registered: with streams
// registered, zero reporting is itself the finding.
func countReporting(set StreamSet) ref.Val {
	if set.Registered() == 0 {
		return noData()
	}
	return types.Double(len(set.Latest()))
}

func reportingShare(set StreamSet) ref.Val {
	registered := set.Registered()
	if registered == 0 {
		return noData()
	}
	return types.Double(float64(len(set.Latest())) / float64(registered))
}

func largestTotal(set StreamSet) ref.Val {
	totals := set.Totals()
	if len(totals) == 0 {
		return noData()
	}
	return types.Double(slices.Max(totals))
}

// fastestChange returns the reducer for rise (sign 1) or fall (sign -1):
// the steepest per-stream slope in that direction, in value units per
// minute, floored at 0 because "nothing rose" is a rise of 0, not a
// negative one. Streams whose points share a timestamp have no slope.
// largestChange is the largest per-stream change across the window, from
// its first point to its last, in the property's unit: how far it has
// fallen (or risen), never extrapolated beyond the data there is.
func largestChange(sign float64) reducer {
	return func(set StreamSet) ref.Val {
		changes := set.Changes()
		if len(changes) == 0 {
			return noData()
		}
		largest := math.Inf(-1)
		for _, c := range changes {
			largest = max(largest, sign*(c.Last-c.First))
		}
		return types.Double(largest)
	}
}

func fastestChange(sign float64) reducer {
	return func(set StreamSet) ref.Val {
		fastest, found := 0.0, false
		for _, c := range set.Changes() {
			if c.Minutes <= 0 {
				continue
			}
			fastest = max(fastest, sign*(c.Last-c.First)/c.Minutes)
			found = true
		}
		if !found {
			return noData()
		}
		return types.Double(fastest)
	}
}
