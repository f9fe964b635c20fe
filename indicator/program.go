package indicator

import (
	"errors"
	"fmt"
	"math"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/interpreter"
)

// Program is an indicator compiled for evaluation. It is immutable and
// safe for concurrent use; Eval is on the engine's hot path and allocates
// only what CEL itself needs.
type Program struct {
	ind        Indicator
	program    cel.Program
	direct     *directReduction // the fast path of a one-reducer expression, or nil
	properties map[string]bool  // the CEL variables that are properties
	needs      []Need
	deps       []string
}

// Indicator returns the catalog entry the program was compiled from. The
// caller must not modify it.
func (p *Program) Indicator() *Indicator { return &p.ind }

// Needs returns the program's inputs, sorted by property and asset type,
// one entry per selection (History set if any use of it needs history).
// The caller must not modify the slice.
func (p *Program) Needs() []Need { return p.needs }

// Deps returns the sorted ids of the indicators the program reads with
// ind(). The caller must not modify the slice.
func (p *Program) Deps() []string { return p.deps }

// Eval computes the indicator's value in s. ok is false when there is no
// value: a function had nothing to work on, an ind() input had no value,
// or the result is not a finite number (a division by zero). err is for
// what should never happen with a checked expression, such as a runtime
// type error, and always comes with ok false.
func (p *Program) Eval(s Scope) (value float64, ok bool, err error) {
	if p.direct != nil {
		return p.evalDirect(s)
	}
	out, _, err := p.program.Eval(&activation{scope: s, properties: p.properties})
	if err != nil {
		return p.evalError(err)
	}
	return p.number(out)
}

func (p *Program) evalDirect(s Scope) (float64, bool, error) {
	sel := selection{scope: s, property: p.direct.property, assetType: p.direct.assetType}
	out := p.direct.reduce(sel.streams())
	if e, isErr := out.(*types.Err); isErr {
		return p.evalError(e)
	}
	return p.number(out)
}

func (p *Program) evalError(err error) (float64, bool, error) {
	if errors.Is(err, errNoData) {
		return 0, false, nil
	}
	return 0, false, fmt.Errorf("evaluate indicator %q: %w", p.ind.ID, err)
}

// number is the value of a result, ok false when it is not finite.
func (p *Program) number(out ref.Val) (value float64, ok bool, err error) {
	switch v := out.(type) {
	case types.Double:
		value = float64(v)
	case types.Int:
		value = float64(v)
	default:
		return 0, false, fmt.Errorf("evaluate indicator %q: result %v of type %s is not a number", p.ind.ID, out, out.Type().TypeName())
	}
	if math.IsNaN(value) || math.IsInf(value, 0) {
		return 0, false, nil
	}
	return value, true, nil
}

// activation resolves the variables of one Eval: every property to a
// selection of the Scope's streams, and the hidden scope variable to the
// Scope for ind(). It replaces the map CEL would otherwise build per call.
type activation struct {
	scope      Scope
	properties map[string]bool
}

var _ interpreter.Activation = (*activation)(nil)

// ResolveName implements interpreter.Activation.
func (a *activation) ResolveName(name string) (any, bool) {
	if name == scopeVar {
		return scopeVal{scope: a.scope}, true
	}
	if a.properties[name] {
		return &selection{scope: a.scope, property: name}, true
	}
	return nil, false
}

// Parent implements interpreter.Activation; there is none.
func (a *activation) Parent() interpreter.Activation { return nil }
