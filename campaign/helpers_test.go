package campaign

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"cityvitals/audit"
	"cityvitals/model"
	"cityvitals/store"
	sqlitestore "cityvitals/store/sqlite"
)

// testUnits is a small tree: the city; 黄浦区 with a street of two grids;
// 徐汇区 with a street of one grid; 浦东新区 (outside the test campaigns'
// scope) with one grid.
type testUnits struct{ parent map[string]string }

var unitTree = []model.Unit{
	{Code: "310000", Level: model.LevelCity, NameZH: "上海市"},
	{Code: "310101", Parent: "310000", Level: model.LevelDistrict, NameZH: "黄浦区"},
	{Code: "310101002", Parent: "310101", Level: model.LevelStreet, NameZH: "南京东路街道"},
	{Code: "310101002-G1", Parent: "310101002", Level: model.LevelGrid, NameZH: "网格一"},
	{Code: "310101002-G2", Parent: "310101002", Level: model.LevelGrid, NameZH: "网格二"},
	{Code: "310104", Parent: "310000", Level: model.LevelDistrict, NameZH: "徐汇区"},
	{Code: "310104003", Parent: "310104", Level: model.LevelStreet, NameZH: "湖南路街道"},
	{Code: "310104003-G1", Parent: "310104003", Level: model.LevelGrid, NameZH: "网格一"},
	{Code: "310115", Parent: "310000", Level: model.LevelDistrict, NameZH: "浦东新区"},
	{Code: "310115001-G1", Parent: "310115", Level: model.LevelGrid, NameZH: "网格一"},
}

func newTestUnits() testUnits {
	u := testUnits{parent: map[string]string{}}
	for _, x := range unitTree {
		u.parent[x.Code] = x.Parent
	}
	return u
}

func (u testUnits) Unit(code string) (model.Unit, bool) {
	i := slices.IndexFunc(unitTree, func(x model.Unit) bool { return x.Code == code })
	if i < 0 {
		return model.Unit{}, false
	}
	return unitTree[i], true
}

func (u testUnits) Ancestors(code string) []string {
	if _, ok := u.parent[code]; !ok {
		return nil
	}
	var path []string
	for c := code; c != ""; c = u.parent[c] {
		path = append([]string{c}, path...)
	}
	return path
}

func (u testUnits) Descendants(code string) []string {
	if _, ok := u.parent[code]; !ok {
		return nil
	}
	out := []string{code}
	for _, x := range unitTree {
		if x.Code != code && slices.Contains(u.Ancestors(x.Code), code) {
			out = append(out, x.Code)
		}
	}
	return out
}

// recordingAuditor writes to the real hash-chained audit log and keeps
// what it was asked to record, for assertions.
type recordingAuditor struct {
	mu      sync.Mutex
	log     *audit.Logger
	records []auditCall
}

type auditCall struct {
	Actor, Action, Target string
	Detail                any
}

func (a *recordingAuditor) Record(ctx context.Context, actor, action, target string, detail any) error {
	a.mu.Lock()
	a.records = append(a.records, auditCall{actor, action, target, detail})
	a.mu.Unlock()
	return a.log.Record(ctx, actor, action, target, detail)
}

// actions returns the recorded actions on target, in order.
func (a *recordingAuditor) actions(target string) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, r := range a.records {
		if r.Target == target {
			out = append(out, r.Action)
		}
	}
	return out
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var cst = time.FixedZone("CST", 8*60*60)

// periodStart is the first instant of the test campaigns: 2025-07-01 00:00 CST.
var periodStart = time.Date(2025, 7, 1, 0, 0, 0, 0, cst)

type fixture struct {
	svc   *Service
	db    *sqlitestore.DB
	clock *fakeClock
	audit *recordingAuditor
}

// templateDB is a database with the schema and the unit tree, built once
// by TestMain: copying it is much cheaper than migrating a fresh one for
// every test (especially under -race).
var templateDB string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "campaign-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	templateDB = filepath.Join(dir, "template.db")
	code := func() int {
		defer os.RemoveAll(dir)
		if err := buildTemplate(templateDB); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return m.Run()
	}()
	os.Exit(code)
}

func buildTemplate(path string) error {
	db, err := sqlitestore.Open(path)
	if err != nil {
		return err
	}
	if err := db.PutUnits(context.Background(), unitTree); err != nil {
		db.Close()
		return err
	}
	return db.Close() // the last connection checkpoints the WAL into the file
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	data, err := os.ReadFile(templateDB)
	mustNil(t, err)
	path := filepath.Join(t.TempDir(), "campaign.db")
	mustNil(t, os.WriteFile(path, data, 0o600))
	db, err := sqlitestore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := &fixture{db: db, clock: &fakeClock{t: periodStart.Add(48 * time.Hour)},
		audit: &recordingAuditor{log: audit.NewLogger(db)}}
	f.svc = NewService(db, newTestUnits(), f.audit, f.clock.Now,
		WithDepartments(map[string]string{"gas": "燃气公司", "housing": "房管局", "market": "市场监管局"}))
	return f
}

func mustNil(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantCode fails unless err carries the code and its message mentions
// every one of words.
func wantCode(t *testing.T, err error, code string, words ...string) {
	t.Helper()
	if got := model.ErrorCode(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
	for _, w := range words {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
}

// photo returns a content hash for a named photo.
func photo(name string) string {
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:])
}

func ms(t time.Time) int64 { return t.UnixMilli() }

// householdCampaign is a gas campaign over 黄浦区 and 徐汇区 with the
// household and kitchen checklists; grid G1 of 黄浦区 goes to li.si and
// the rest of its street to wang.wu.
func (f *fixture) householdCampaign(t testing.TB) model.Campaign {
	t.Helper()
	c, err := f.svc.CreateCampaign(context.Background(), "zhang.san", NewCampaign{
		Name: "2025年城镇燃气安全专项整治", Domain: "gas", Basis: "安委〔2023〕3号",
		Units: []string{"310101", "310104"}, StartAt: ms(periodStart), EndAt: ms(periodStart.AddDate(0, 3, 0)),
		Depts: []string{"gas", "market"}, Checklists: []string{"household_gas", "restaurant_kitchen_gas"},
		Assignments: []model.InspectorAssignment{
			{Unit: "310101002", Inspector: "wang.wu"},
			{Unit: "310101002-G1", Inspector: "li.si"},
		},
	})
	mustNil(t, err)
	return c
}

// putMeters stores n household gas meters in each unit, ids "<unit>-m<i>".
func (f *fixture) putMeters(t testing.TB, n int, units ...string) {
	t.Helper()
	var assets []model.Asset
	for _, u := range units {
		for i := range n {
			assets = append(assets, model.Asset{ID: fmt.Sprintf("%s-m%d", u, i), Type: "household_gas_meter", Unit: u, Dept: "gas"})
		}
	}
	mustNil(t, f.db.PutAssets(context.Background(), assets))
}

// allTasks lists every task of the campaign.
func (f *fixture) allTasks(t testing.TB, c model.Campaign) []model.InspectionTask {
	t.Helper()
	var all []model.InspectionTask
	page := store.Page{Limit: 1000}
	for {
		items, next, err := f.svc.Tasks(context.Background(), store.TaskFilter{Campaign: c.ID}, page)
		mustNil(t, err)
		all = append(all, items...)
		if next == "" {
			return all
		}
		page.After = next
	}
}

// answers answers every household item ok except the given outcomes.
func answers(except map[string]model.ItemOutcome) []model.ItemResult {
	cl, _ := DefaultChecklists().Checklist("household_gas")
	var out []model.ItemResult
	for _, it := range cl.Items {
		r := model.ItemResult{Item: it.ID, Outcome: model.OutcomeOK}
		if o, ok := except[it.ID]; ok {
			r.Outcome = o
			if o.Found() {
				r.Photos = []string{photo(it.ID)}
			}
		}
		out = append(out, r)
	}
	return out
}
