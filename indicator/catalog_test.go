package indicator

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"cityvitals/asset"
	"cityvitals/model"
	"cityvitals/property"
)

// validIndicator is a well-formed indicator; tests replace one field.
const validIndicator = `
  - id: gas.leak
    name_zh: 燃气泄漏风险
    name_en: Gas leak risk
    unit: "%LEL"
    dept: 市燃气管理处
    level: grid
    window: 10m
    expr: max(gas_lel)
    direction: high
    thresholds: {blue: 10, yellow: 20, orange: 25, red: 50}
    why_zh: 可燃气体浓度升高。
    why_en: Rising gas concentration.
    sources: {thresholds: GB/T 50493-2019}`

// withField returns a file holding validIndicator with field set to value
// ("" removes it), after a 4-line header, so the indicator starts on line 5.
func withField(field, value string) string {
	var lines []string
	for _, l := range strings.Split(strings.TrimPrefix(validIndicator, "\n"), "\n") {
		key := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "- "))
		if strings.HasPrefix(key, field+":") {
			if value == "" {
				continue
			}
			l = l[:strings.Index(l, field+":")] + field + ": " + value
		}
		lines = append(lines, l)
	}
	return "domain: gas\nname_zh: 燃气\nname_en: Gas\nindicators:\n" + strings.Join(lines, "\n") + "\n"
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		yaml  string
		where string // "line: indicator "id": field"
		why   string
	}{
		{"unknown property", withField("expr", "max(gas_leak)"), `:12: indicator "gas.leak": expr`, "gas_leak"},
		{"unknown asset type", withField("expr", `max(gas_lel.on("rocket"))`), `:12: indicator "gas.leak": expr`, `unknown asset type "rocket"`},
		{"expr not a number", withField("expr", "max(gas_lel) > 1"), `:12: indicator "gas.leak": expr`, "not a number"},
		{"expr does not compile", withField("expr", "max(gas_lel"), `:12: indicator "gas.leak": expr`, "column"},
		{"threshold not a number", withField("thresholds", `{blue: "10"}`), `:14: indicator "gas.leak": thresholds`, "not a number"},
		{"threshold not monotonic", withField("thresholds", `{blue: 10, red: 5}`), `:14: indicator "gas.leak": thresholds`, "red (5) must be above blue (10)"},
		{"low not monotonic", withField("direction", "low"), `:14: indicator "gas.leak": thresholds`, "must be below"},
		{"no threshold", withField("thresholds", `{}`), `:14: indicator "gas.leak": thresholds`, "at least one"},
		{"unknown threshold level", withField("thresholds", `{purple: 3}`), `:14: indicator "gas.leak": thresholds`, `unknown level "purple"`},
		{"band malformed", withField("direction", "band"), `:14: indicator "gas.leak": thresholds`, "unknown side"},
		{"window missing", withField("window", ""), `:5: indicator "gas.leak": window`, "missing"},
		{"window zero", withField("window", "0s"), `:11: indicator "gas.leak": window`, "positive"},
		{"window too long", withField("window", "745h"), `:11: indicator "gas.leak": window`, "31 days"},
		{"window not a duration", withField("window", "ten minutes"), `:11: indicator "gas.leak": window`, "not a duration"},
		{"unknown level", withField("level", "village"), `:10: indicator "gas.leak": level`, `unknown level "village"`},
		{"unknown direction", withField("direction", "up"), `:13: indicator "gas.leak": direction`, `unknown direction "up"`},
		{"unknown rollup", withField("sources", "{a: b}\n    rollup: median"), `:18: indicator "gas.leak": rollup`, `unknown rollup "median"`},
		{"share_above without level", withField("sources", "{a: b}\n    rollup: share_above\n    rollup_thresholds: {red: 0.5}"), `:5: indicator "gas.leak": rollup_level`, "missing"},
		{"share_above without thresholds", withField("sources", "{a: b}\n    rollup: share_above\n    rollup_level: red"), `:5: indicator "gas.leak": rollup_thresholds`, "missing"},
		{"rollup_level without share_above", withField("sources", "{a: b}\n    rollup_level: red"), `:18: indicator "gas.leak": rollup_level`, "only with rollup: share_above"},
		{"missing name", withField("name_en", ""), `:5: indicator "gas.leak": name_en`, "missing"},
		{"missing why", withField("why_zh", ""), `:5: indicator "gas.leak": why_zh`, "missing"},
		{"missing sources", withField("sources", ""), `:5: indicator "gas.leak": sources`, "missing"},
		{"empty sources", withField("sources", "{}"), `:17: indicator "gas.leak": sources`, "must map"},
		{"missing dept", withField("dept", ""), `:5: indicator "gas.leak": dept`, "missing"},
		{"missing unit key", withField("unit", ""), `:5: indicator "gas.leak": unit`, "missing"},
		{"blank name", withField("name_zh", `" "`), `:6: indicator "gas.leak": name_zh`, "non-empty"},
		{"effective not RFC 3339", withField("sources", "{a: b}\n    effective: 2025-01-01"), `:18: indicator "gas.leak": effective`, "RFC 3339"},
		{"unknown field", withField("sources", "{a: b}\n    treshold: 3"), `:18: indicator "gas.leak": treshold`, "unknown field"},
		{"bad id", withField("id", "Gas-Leak"), `:5: indicator "Gas-Leak": id`, "[a-z0-9_.]+"},
		{"negative hysteresis", withField("sources", "{a: b}\n    hysteresis: -1"), `:18: indicator "gas.leak": hysteresis`, "negative"},
	}
	props, assets := property.Default(), asset.DefaultTypes()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("gas.yaml", []byte(tt.yaml), props, assets)
			assertProblem(t, err, "gas.yaml"+tt.where, tt.why)
		})
	}
}

// assertProblem checks that err is an EINVALID *model.Error with a line
// starting with where and containing why.
func assertProblem(t *testing.T, err error, where, why string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error; want %q … %q", where, why)
	}
	var me *model.Error
	if !errors.As(err, &me) || me.Code != model.EINVALID {
		t.Fatalf("error %v is not an EINVALID *model.Error", err)
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		if strings.Contains(line, where+": ") && strings.Contains(line, why) {
			return
		}
	}
	t.Errorf("error\n%v\nhas no line with %q and %q", err, where, why)
}

func TestParseBandThresholds(t *testing.T) {
	t.Parallel()
	yaml := withField("direction", "band\n    thresholds: {low: {blue: 5, red: 1}, high: {blue: 30, red: 40}}")
	yaml = strings.Replace(yaml, "    thresholds: {blue: 10, yellow: 20, orange: 25, red: 50}\n", "", 1)
	inds, err := Parse("band.yaml", []byte(yaml), property.Default(), asset.DefaultTypes())
	if err != nil {
		t.Fatal(err)
	}
	th := inds[0].Thresholds
	if *th.LowBlue != 5 || *th.LowRed != 1 || *th.Blue != 30 || *th.Red != 40 || th.Yellow != nil {
		t.Errorf("band thresholds = %+v", th)
	}
	overlap := strings.Replace(yaml, "high: {blue: 30", "high: {blue: 4", 1)
	_, err = Parse("band.yaml", []byte(overlap), property.Default(), asset.DefaultTypes())
	assertProblem(t, err, `band.yaml:14: indicator "gas.leak": thresholds`, "low side's blue (5) must be below the high side's (4)")
}

func TestParseReportsAllProblems(t *testing.T) {
	t.Parallel()
	yaml := withField("window", "0s") + strings.Replace(validIndicator, "id: gas.leak", "id: gas.other", 1)[1:] + "\n"
	yaml = strings.Replace(yaml, "level: grid\n    window: 10m\n    expr: max(gas_lel)", "level: grid\n    window: 10m\n    expr: nope(gas_lel)", 1)
	_, err := Parse("gas.yaml", []byte(yaml), property.Default(), asset.DefaultTypes())
	assertProblem(t, err, `gas.yaml:11: indicator "gas.leak": window`, "positive")
	assertProblem(t, err, `gas.yaml:25: indicator "gas.other": expr`, "nope")
}

// writeFiles writes name → content into a new directory.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// indicatorYAML is a minimal valid indicator with the given id, parent
// (may be "") and expression.
func indicatorYAML(id, parent, expr string) string {
	s := strings.Replace(validIndicator, "id: gas.leak", "id: "+id, 1)
	s = strings.Replace(s, "expr: max(gas_lel)", "expr: '"+expr+"'", 1)
	if parent != "" {
		s = strings.Replace(s, "    name_zh:", "    parent: "+parent+"\n    name_zh:", 1)
	}
	return s
}

func fileOf(domain string, indicators ...string) string {
	return fmt.Sprintf("domain: %s\nname_zh: 域\nname_en: Domain\nindicators:%s\n", domain, strings.Join(indicators, ""))
}

func TestLoadCrossChecks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		files map[string]string
		where string
		why   string
	}{
		{"duplicate across files", map[string]string{
			"a.yaml": fileOf("gas", indicatorYAML("gas.leak", "", "max(gas_lel)")),
			"b.yaml": fileOf("gas", indicatorYAML("gas.leak", "", "max(gas_lel)")),
		}, `b.yaml:5: indicator "gas.leak": id`, "duplicate of the indicator at"},
		{"unknown parent", map[string]string{
			"a.yaml": fileOf("gas", indicatorYAML("gas.sub", "gas.nothing", "max(gas_lel)")),
		}, `a.yaml:6: indicator "gas.sub": parent`, `no such indicator "gas.nothing"`},
		{"parent in another domain", map[string]string{
			"a.yaml": fileOf("gas", indicatorYAML("gas.leak", "", "max(gas_lel)")),
			"b.yaml": fileOf("water", indicatorYAML("water.sub", "gas.leak", "max(gas_lel)")),
		}, `b.yaml:6: indicator "water.sub": parent`, "is in domain gas, not water"},
		{"parent cycle", map[string]string{
			"a.yaml": fileOf("gas", indicatorYAML("gas.a", "gas.b", "max(gas_lel)"), indicatorYAML("gas.b", "gas.a", "max(gas_lel)")),
		}, `a.yaml:6: indicator "gas.a": parent`, "cycle: gas.a › gas.b › gas.a"},
		{"unknown ind", map[string]string{
			"a.yaml": fileOf("gas", indicatorYAML("gas.a", "", `ind("gas.zzz")`)),
		}, `a.yaml:12: indicator "gas.a": expr`, `ind("gas.zzz"): no such indicator`},
		{"ind cycle", map[string]string{
			"a.yaml": fileOf("gas", indicatorYAML("gas.a", "", `ind("gas.b")`), indicatorYAML("gas.b", "", `ind("gas.c") + 1`), indicatorYAML("gas.c", "", `ind("gas.a")`)),
		}, `a.yaml:12: indicator "gas.a": expr`, "cycle through ind(): gas.a → gas.b → gas.c → gas.a"},
		{"problem in one file refuses all", map[string]string{
			"a.yaml": fileOf("gas", indicatorYAML("gas.a", "", "max(gas_lel)")),
			"b.yaml": "domain: water\nindicators: 3\n",
		}, `b.yaml:2: indicators`, "expected a list"},
	}
	props, assets := property.Default(), asset.DefaultTypes()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := writeFiles(t, tt.files)
			c, err := Load(props, assets, dir)
			if c != nil {
				t.Errorf("Load returned a catalog despite the error")
			}
			assertProblem(t, err, filepath.Join(dir, "")+string(filepath.Separator)+tt.where, tt.why)
		})
	}
}

func TestLoadTestdata(t *testing.T) {
	t.Parallel()
	c, err := Load(property.Default(), asset.DefaultTypes(), "testdata/gas.yaml", "testdata/drainage.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range c.Programs() {
		ids = append(ids, p.Indicator().ID)
	}
	// drainage.risk reads drainage.rain, so it comes after it; the rest by id.
	want := []string{"drainage.rain", "drainage.risk", "gas.leak", "gas.leak.manholes", "gas.pressure_drop"}
	if !slices.Equal(ids, want) {
		t.Errorf("Programs order = %v; want %v", ids, want)
	}
	if got := c.Domains(); !slices.Equal(got, []string{"drainage", "gas"}) {
		t.Errorf("Domains = %v", got)
	}
	tree := c.Tree()
	if len(tree) != 2 || tree[1].NameEN != "Gas" || len(tree[1].Core) != 1 || len(tree[1].Core[0].Subs) != 2 ||
		tree[1].Core[0].Subs[0].Indicator.ID != "gas.leak.manholes" {
		t.Errorf("Tree = %+v", tree)
	}
	p, ok := c.Program("gas.pressure_drop")
	if !ok || p.Indicator().Rollup != RollupShareAbove || p.Indicator().RollupLevel != LevelOrange || *p.Indicator().RollupThresholds.Red != 0.5 {
		t.Errorf("Program(gas.pressure_drop) = %+v, %v", p, ok)
	}
	if p.Indicator().File != "testdata/gas.yaml" || p.Indicator().Line != 36 {
		t.Errorf("position = %s:%d", p.Indicator().File, p.Indicator().Line)
	}
}

func TestDependencyOrderIsStable(t *testing.T) {
	t.Parallel()
	dir := writeFiles(t, map[string]string{"a.yaml": fileOf("gas",
		indicatorYAML("gas.a", "", `ind("gas.z") + ind("gas.m")`),
		indicatorYAML("gas.m", "", `ind("gas.z")`),
		indicatorYAML("gas.b", "", "max(gas_lel)"),
		indicatorYAML("gas.z", "", "max(gas_lel)"))})
	c, err := Load(property.Default(), asset.DefaultTypes(), dir)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range c.Programs() {
		ids = append(ids, p.Indicator().ID)
	}
	if want := []string{"gas.z", "gas.m", "gas.a", "gas.b"}; !slices.Equal(ids, want) {
		t.Errorf("order = %v; want %v", ids, want)
	}
}

func TestProgramsAt(t *testing.T) {
	t.Parallel()
	v2 := strings.Replace(indicatorYAML("gas.a", "", "min(gas_lel)"), "    sources:", "    effective: 2025-06-01T00:00:00Z\n    sources:", 1)
	v3 := strings.Replace(indicatorYAML("gas.a", "", "avg(gas_lel)"), "    sources:", "    effective: 2025-09-01T08:00:00+08:00\n    sources:", 1)
	later := strings.Replace(indicatorYAML("gas.b", "", "sum(gas_lel)"), "    sources:", "    effective: 2025-07-01T00:00:00Z\n    sources:", 1)
	dir := writeFiles(t, map[string]string{"a.yaml": fileOf("gas", v3, indicatorYAML("gas.a", "", "max(gas_lel)"), v2, later)})
	c, err := Load(property.Default(), asset.DefaultTypes(), dir)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		at   time.Time
		want []string // expressions in force, by id order
	}{
		{"before any effective", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), []string{"max(gas_lel)"}},
		{"at the second version", time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), []string{"min(gas_lel)"}},
		{"later indicator appears", time.Date(2025, 8, 1, 0, 0, 0, 0, time.UTC), []string{"min(gas_lel)", "sum(gas_lel)"}},
		{"zone-aware effective", time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC), []string{"avg(gas_lel)", "sum(gas_lel)"}},
		{"just before it", time.Date(2025, 8, 31, 23, 59, 59, 0, time.UTC), []string{"min(gas_lel)", "sum(gas_lel)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, p := range c.ProgramsAt(tt.at) {
				got = append(got, p.Indicator().Expr)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ProgramsAt(%v) = %v; want %v", tt.at, got, tt.want)
			}
		})
	}
	if p, _ := c.Program("gas.a"); p.Indicator().Expr != "avg(gas_lel)" {
		t.Errorf("Program(gas.a) = %q; want the newest version", p.Indicator().Expr)
	}
	if n := len(c.Versions("gas.a")); n != 3 {
		t.Errorf("Versions(gas.a) has %d; want 3", n)
	}
}

func TestWith(t *testing.T) {
	t.Parallel()
	c, err := Load(property.Default(), asset.DefaultTypes(), "testdata")
	if err != nil {
		t.Fatal(err)
	}
	leak, _ := c.Program("gas.leak")
	replaced := *leak.Indicator()
	replaced.Expr = "avg(gas_lel)"
	created := replaced
	created.ID, created.Parent, created.Expr = "gas.leak.share", "gas.leak", `ind("gas.leak") / 100`
	bad := replaced
	bad.ID, bad.Expr, bad.Window = "gas.bad", `ind("gas.nowhere")`, 0
	cyclic := replaced
	cyclic.Expr = `ind("gas.leak.share")`

	tests := []struct {
		name    string
		updated []Indicator
		wantErr []string
		check   func(t *testing.T, next *Catalog)
	}{
		{"replace and create", []Indicator{replaced, created}, nil, func(t *testing.T, next *Catalog) {
			if p, _ := next.Program("gas.leak"); p.Indicator().Expr != "avg(gas_lel)" {
				t.Errorf("gas.leak not replaced: %q", p.Indicator().Expr)
			}
			if p, ok := next.Program("gas.leak.share"); !ok || !slices.Equal(p.Deps(), []string{"gas.leak"}) {
				t.Errorf("gas.leak.share not created: %v", ok)
			}
		}},
		{"field problems", []Indicator{bad}, []string{`"gas.bad": window`}, nil},
		{"unknown reference", []Indicator{func() Indicator { b := bad; b.Window = time.Minute; return b }()}, []string{`ind("gas.nowhere"): no such indicator`}, nil},
		{"cycle with the rest", []Indicator{created, cyclic}, []string{"cycle through ind()"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			next, err := c.With(tt.updated...)
			for _, want := range tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), want) || next != nil {
					t.Errorf("With = %v, %v; want an error containing %q and no catalog", next, err, want)
				}
			}
			if tt.check != nil {
				if err != nil {
					t.Fatal(err)
				}
				tt.check(t, next)
			}
			if p, _ := c.Program("gas.leak"); p.Indicator().Expr != "max(gas_lel)" {
				t.Errorf("the old catalog changed: %q", p.Indicator().Expr)
			}
		})
	}
}

func TestDefaultCatalogLoads(t *testing.T) {
	t.Parallel()
	c, err := Default(property.Default(), asset.DefaultTypes())
	if err != nil {
		t.Fatalf("default catalog: %v", err)
	}
	files, err := filepath.Glob("catalog/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) > 0 && len(c.Programs()) == 0 {
		t.Errorf("%d catalog files but no indicators", len(files))
	}
	for _, p := range c.Programs() {
		if p.Indicator().Window <= 0 || len(p.Needs())+len(p.Deps()) == 0 {
			t.Errorf("%s: window %v, needs %v, deps %v", p.Indicator().ID, p.Indicator().Window, p.Needs(), p.Deps())
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"testdata/gas.yaml", "testdata/drainage.yaml"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(withField("direction", "band")))
	f.Add([]byte("domain: x\nindicators: [1, {id: 3}]"))
	props, assets := property.Default(), asset.DefaultTypes()
	c, err := newCompiler(props, assets)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := c.parseFile("fuzz.yaml", data)
		if err != nil {
			return
		}
		for _, e := range file.indicators {
			if e.compiled == nil {
				t.Fatalf("indicator %q accepted without a compiled expression", e.ID)
			}
		}
	})
}
