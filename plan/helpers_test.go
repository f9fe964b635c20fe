package plan_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"cityvitals/audit"
	"cityvitals/model"
	"cityvitals/plan"
	sqlitestore "cityvitals/store/sqlite"
)

var t0 = time.Date(2025, 7, 1, 8, 0, 0, 0, time.UTC)

// clock is a settable wall clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// incidents is an in-memory incident service: it assigns ids, keeps the
// incidents so tests can move them along, and records every Open.
type incidents struct {
	mu     sync.Mutex
	byID   map[int64]model.Incident
	opened []model.Incident // in call order, failed calls included (ID 0)
	// fail, when set, decides whether an Open fails.
	fail func(model.Incident) error
	// onOpen, when set, runs at the start of every Open.
	onOpen func()
}

func newIncidents() *incidents { return &incidents{byID: map[int64]model.Incident{}} }

func (f *incidents) Open(ctx context.Context, by string, inc model.Incident) (model.Incident, error) {
	if f.onOpen != nil {
		f.onOpen()
	}
	if err := ctx.Err(); err != nil { // as a real store would
		return model.Incident{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		if err := f.fail(inc); err != nil {
			f.opened = append(f.opened, inc)
			return model.Incident{}, err
		}
	}
	inc.ID = int64(len(f.byID) + 1)
	inc.State, inc.CreatedBy = model.IncidentDispatched, by
	f.byID[inc.ID] = inc
	f.opened = append(f.opened, inc)
	return inc, nil
}

func (f *incidents) Incident(ctx context.Context, id int64) (model.Incident, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	inc, ok := f.byID[id]
	if !ok {
		return model.Incident{}, model.Errorf(model.ENOTFOUND, "incident %d not found", id)
	}
	return inc, nil
}

func (f *incidents) set(id int64, change func(*model.Incident)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	inc := f.byID[id]
	change(&inc)
	f.byID[id] = inc
}

func (f *incidents) remove(id int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.byID, id)
}

func (f *incidents) calls() []model.Incident {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]model.Incident(nil), f.opened...)
}

func (f *incidents) setFail(fail func(model.Incident) error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = fail
}

// units is the unit tree of the tests: code → level.
var units = map[string]model.UnitLevel{
	"310000": model.LevelCity, "310101": model.LevelDistrict, "310104": model.LevelDistrict,
	"310101001": model.LevelStreet, "310101001001": model.LevelCommunity, "g-310101-0042": model.LevelGrid,
}

func unitLevel(code string) (model.UnitLevel, bool) {
	l, ok := units[code]
	return l, ok
}

// fixture is a plan service over a real SQLite store and audit log, with
// in-memory incidents and a settable clock.
type fixture struct {
	db        *sqlitestore.DB
	incidents *incidents
	clock     *clock
	svc       *plan.Service
}

func newFixture(tb testing.TB, opts ...plan.Option) *fixture {
	tb.Helper()
	db, err := sqlitestore.Open(tb.TempDir() + "/db")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	f := &fixture{db: db, incidents: newIncidents(), clock: &clock{t: t0}}
	logger := audit.NewLogger(db, audit.WithClock(f.clock.Now))
	opts = append([]plan.Option{plan.WithUnitLevels(unitLevel)}, opts...)
	f.svc, err = plan.NewService(db, f.incidents, logger, f.clock.Now, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

// seeded is a fixture with the default plans stored: those named, or
// all of them. Tests name only what they use, since every stored plan
// costs synced writes.
func seeded(tb testing.TB, ids ...string) *fixture {
	tb.Helper()
	f := newFixture(tb)
	defaults, err := plan.Defaults(f.svc.Vocabulary())
	mustNil(tb, err)
	if len(ids) > 0 {
		defaults = slices.DeleteFunc(defaults, func(p model.Plan) bool { return !slices.Contains(ids, p.ID) })
		if len(defaults) != len(ids) {
			tb.Fatalf("seeded %d of the plans %v", len(defaults), ids)
		}
	}
	_, err = f.svc.Seed(tb.Context(), "system", defaults)
	mustNil(tb, err)
	return f
}

var rainstormPlans = []string{"rainstorm-blue", "rainstorm-yellow", "rainstorm-orange", "rainstorm-red"}

// audits returns the audit records with the action, in order.
func (f *fixture) audits(tb testing.TB, action string) []model.AuditRecord {
	tb.Helper()
	var out []model.AuditRecord
	err := f.db.EachAudit(tb.Context(), func(r model.AuditRecord) error {
		if r.Action == action {
			out = append(out, r)
		}
		return nil
	})
	mustNil(tb, err)
	return out
}

func mustNil(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// wantError fails unless err has the code and its message contains
// every fragment.
func wantError(tb testing.TB, err error, code string, fragments ...string) {
	tb.Helper()
	if got := model.ErrorCode(err); got != code {
		tb.Fatalf("error %v: code %q, want %q", err, got, code)
	}
	for _, frag := range fragments {
		if !strings.Contains(err.Error(), frag) {
			tb.Errorf("error %q does not mention %q", err, frag)
		}
	}
}

// customPlan is a small valid plan for tests that edit plans.
func customPlan(id string) model.Plan {
	return model.Plan{
		ID: id, EventType: "flood_test", Level: 2, NameZH: "测试预案", NameEN: "Test plan",
		Tasks: []model.PlanTask{
			{ID: "a", Dept: "drainage", TitleZH: "任务一", TitleEN: "Task one", Category: "waterlogging", Deadline: 30 * time.Minute},
			{ID: "b", Dept: "street-office", TitleZH: "任务二", TitleEN: "Task two", Category: "other", Deadline: 2 * time.Hour},
		},
	}
}

// equalJSON reports whether a and b encode to the same JSON.
func equalJSON(tb testing.TB, a, b any) bool {
	tb.Helper()
	ja, err := json.Marshal(a)
	mustNil(tb, err)
	jb, err := json.Marshal(b)
	mustNil(tb, err)
	return string(ja) == string(jb)
}

var errDiskFull = errors.New("disk full")

func taskIDs(tasks []model.ActivationTask) string {
	ids := make([]string, len(tasks))
	for i, t := range tasks {
		ids[i] = fmt.Sprintf("%s=%d", t.TaskID, t.IncidentID)
	}
	return strings.Join(ids, " ")
}
