package indicator

import (
	"fmt"
	"slices"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common"
	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/ext"

	"cityvitals/asset"
	"cityvitals/model"
	"cityvitals/property"
)

// compiler turns expressions into CEL programs against one property and
// asset-type catalog. It is immutable after newCompiler and safe for
// concurrent use.
type compiler struct {
	env        *cel.Env
	properties map[string]bool
	assets     *asset.TypeCatalog
}

// compiled is what compiling one expression yields.
type compiled struct {
	program cel.Program
	direct  *directReduction // set when the whole expression is one reducer call
	needs   []Need
	deps    []string
}

func newCompiler(props *property.Catalog, assets *asset.TypeCatalog) (*compiler, error) {
	known := make(map[string]bool, props.Len())
	opts := []cel.EnvOption{
		cel.CrossTypeNumericComparisons(true),
		ext.Math(),
		cel.Macros(cel.GlobalMacro("ind", 1, expandInd)),
		cel.Variable(scopeVar, scopeType),
	}
	for _, p := range props.List() {
		known[p.ID] = true
		opts = append(opts, cel.Variable(p.ID, selectionType))
	}
	env, err := cel.NewEnv(append(opts, functionOptions()...)...)
	if err != nil {
		return nil, fmt.Errorf("build CEL environment: %w", err)
	}
	return &compiler{env: env, properties: known, assets: assets}, nil
}

// expandInd rewrites ind("id") to @ind(@scope, "id"), handing the
// function the Scope of the evaluation. The id must be a literal so that
// the catalog can check it and order evaluation by it.
func expandInd(eh cel.MacroExprFactory, _ ast.Expr, args []ast.Expr) (ast.Expr, *common.Error) {
	if args[0].Kind() != ast.LiteralKind || args[0].AsLiteral().Type() != types.StringType {
		return nil, eh.NewError(args[0].ID(), `ind() takes a quoted indicator id, such as ind("gas.leak")`)
	}
	return eh.NewCall(indFunction, eh.NewIdent(scopeVar), args[0]), nil
}

// compile checks expr and builds its program. Problems are returned as a
// plain reason for the caller to place at the file and line of the expr.
func (c *compiler) compile(expr string) (*compiled, error) {
	parsed, iss := c.env.Parse(expr)
	if iss.Err() != nil {
		return nil, issuesError(iss)
	}
	intLiteralsToDouble(parsed.NativeRep())
	checked, iss := c.env.Check(parsed)
	if iss.Err() != nil {
		return nil, issuesError(iss)
	}
	if out := checked.OutputType(); !out.IsExactType(cel.DoubleType) && !out.IsExactType(cel.IntType) {
		return nil, fmt.Errorf("gives %s, not a number", out)
	}
	needs, err := c.needs(checked.NativeRep())
	if err != nil {
		return nil, err
	}
	prg, err := c.env.Program(checked, cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, fmt.Errorf("build program: %w", err)
	}
	return &compiled{program: prg, direct: c.direct(checked.NativeRep().Expr()), needs: needs,
		deps: deps(checked.NativeRep())}, nil
}

// directReduction is an expression that is one reducer over one
// selection, such as max(gas_lel) or reporting(rainfall.on("rain_gauge")):
// most of a catalog. Eval calls the reducer itself instead of running the
// CEL interpreter, which for these costs more than the reduction; the
// result is the same (TestDirectEqualsCEL).
type directReduction struct {
	reduce    reducer
	property  string
	assetType string
}

func (c *compiler) direct(e ast.Expr) *directReduction {
	if e.Kind() != ast.CallKind || e.AsCall().IsMemberFunction() || len(e.AsCall().Args()) != 1 {
		return nil
	}
	reduce, ok := reducers[e.AsCall().FunctionName()]
	if !ok {
		return nil
	}
	need, ok, err := c.selectionOf(e.AsCall().Args()[0])
	if !ok || err != nil {
		return nil
	}
	return &directReduction{reduce: reduce, property: need.Property, assetType: need.AssetType}
}

// intLiteralsToDouble makes every number in the expression a double, so
// that authors may write 1 - reporting(x) or above(x, 5): CEL has no mixed
// int/double arithmetic, and every indicator function gives a double.
func intLiteralsToDouble(a *ast.AST) {
	factory := ast.NewExprFactory()
	ast.PostOrderVisit(a.Expr(), ast.NewExprVisitor(func(e ast.Expr) {
		if e.Kind() != ast.LiteralKind {
			return
		}
		switch v := e.AsLiteral().(type) {
		case types.Int:
			e.SetKindCase(factory.NewLiteral(e.ID(), types.Double(v)))
		case types.Uint:
			e.SetKindCase(factory.NewLiteral(e.ID(), types.Double(v)))
		}
	}))
}

// issuesError flattens CEL's multi-line issue report into one line per
// problem, with the column inside the expression.
func issuesError(iss *cel.Issues) error {
	msgs := make([]string, 0, len(iss.Errors()))
	for _, e := range iss.Errors() {
		msgs = append(msgs, fmt.Sprintf("column %d: %s", e.Location.Column()+1, e.Message))
	}
	return fmt.Errorf("%s", strings.Join(msgs, "; "))
}

// needs lists the selections the checked expression reads. A selection is
// a property variable, possibly narrowed with .on("type"); it needs
// History when it flows into accum, rise or fall.
func (c *compiler) needs(a *ast.AST) ([]Need, error) {
	found := map[Need]bool{}
	if err := c.collectNeeds(a.Expr(), false, found); err != nil {
		return nil, err
	}
	out := make([]Need, 0, len(found))
	for n := range found {
		if n.History || !found[Need{Property: n.Property, AssetType: n.AssetType, History: true}] {
			out = append(out, n)
		}
	}
	slices.SortFunc(out, func(a, b Need) int {
		return strings.Compare(a.Property+"\x00"+a.AssetType, b.Property+"\x00"+b.AssetType)
	})
	return out, nil
}

func (c *compiler) collectNeeds(e ast.Expr, history bool, found map[Need]bool) error {
	if need, ok, err := c.selectionOf(e); ok || err != nil {
		need.History = history
		found[need] = true
		return err
	}
	switch e.Kind() {
	case ast.CallKind:
		call := e.AsCall()
		argHistory := historyFunctions[call.FunctionName()]
		if call.FunctionName() == "_?_:_" {
			argHistory = history // a conditional passes its branches on
		}
		if call.IsMemberFunction() {
			if err := c.collectNeeds(call.Target(), argHistory, found); err != nil {
				return err
			}
		}
		for _, arg := range call.Args() {
			if err := c.collectNeeds(arg, argHistory, found); err != nil {
				return err
			}
		}
	case ast.ListKind:
		for _, el := range e.AsList().Elements() {
			if err := c.collectNeeds(el, false, found); err != nil {
				return err
			}
		}
	case ast.ComprehensionKind:
		comp := e.AsComprehension()
		for _, sub := range []ast.Expr{comp.IterRange(), comp.AccuInit(), comp.LoopCondition(), comp.LoopStep(), comp.Result()} {
			if err := c.collectNeeds(sub, false, found); err != nil {
				return err
			}
		}
	case ast.SelectKind:
		return c.collectNeeds(e.AsSelect().Operand(), false, found)
	}
	return nil
}

// selectionOf recognises a property variable or var.on("type"). The asset
// type must be a literal of the asset-type catalog: the engine keeps
// streams by it, so it must be known before any data arrives.
func (c *compiler) selectionOf(e ast.Expr) (Need, bool, error) {
	if e.Kind() == ast.IdentKind && c.properties[e.AsIdent()] {
		return Need{Property: e.AsIdent()}, true, nil
	}
	if e.Kind() != ast.CallKind || e.AsCall().FunctionName() != onFunction || !e.AsCall().IsMemberFunction() {
		return Need{}, false, nil
	}
	call := e.AsCall()
	target := call.Target()
	if target.Kind() != ast.IdentKind || !c.properties[target.AsIdent()] {
		return Need{}, false, fmt.Errorf(`on() applies to a property, as in gas_lel.on("manhole_cover")`)
	}
	arg := call.Args()[0]
	lit, ok := arg.AsLiteral().(types.String)
	if arg.Kind() != ast.LiteralKind || !ok {
		return Need{}, false, fmt.Errorf("%s.on() takes a quoted asset type", target.AsIdent())
	}
	if _, known := c.assets.Lookup(model.AssetType(lit)); !known {
		return Need{}, false, fmt.Errorf("unknown asset type %q in %s.on()", string(lit), target.AsIdent())
	}
	return Need{Property: target.AsIdent(), AssetType: string(lit)}, true, nil
}

// deps lists, sorted, the indicator ids the expression reads with ind().
func deps(a *ast.AST) []string {
	var ids []string
	ast.PostOrderVisit(a.Expr(), ast.NewExprVisitor(func(e ast.Expr) {
		if e.Kind() != ast.CallKind || e.AsCall().FunctionName() != indFunction {
			return
		}
		if id, ok := e.AsCall().Args()[1].AsLiteral().(types.String); ok {
			ids = append(ids, string(id))
		}
	}))
	slices.Sort(ids)
	return slices.Compact(ids)
}
