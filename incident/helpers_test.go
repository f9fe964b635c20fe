package incident

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"cityvitals/audit"
	"cityvitals/auth"
	"cityvitals/model"
	sqlitestore "cityvitals/store/sqlite"
)

// testPlaces is a small unit tree: the city, two districts, a street in
// each; points west of 121.5° lie in 310101002, east in 310115001.
type testPlaces struct{}

func (testPlaces) Ancestors(code string) []string {
	switch code {
	case "310000":
		return []string{"310000"}
	case "310101", "310115":
		return []string{"310000", code}
	case "310101002":
		return []string{"310000", "310101", code}
	case "310115001":
		return []string{"310000", "310115", code}
	}
	return nil
}

func (testPlaces) Locate(lon, _ float64) (string, bool) {
	if lon < 121.5 {
		return "310101002", true
	}
	return "310115001", true
}

// roundTheClock is a 24×7 SLA clock: respond in 15 min, dispose in 2 h,
// near at 80 %, severe at twice the allowed time. Package sla's working
// calendars are tested there; here the loop's use of a clock is.
type roundTheClock struct{}

func (roundTheClock) Start(_ string, _ int8, at time.Time) (model.IncidentClock, error) {
	ms := at.UnixMilli()
	return model.IncidentClock{Start: ms, RespondBy: ms + 15*60e3, DisposeBy: ms + 120*60e3, Near: 0.8, Supervisor: "city-supervision", Rule: "test"}, nil
}

func (roundTheClock) Pause(c model.IncidentClock, at time.Time) (model.IncidentClock, error) {
	c.PausedAt = at.UnixMilli()
	return c, nil
}

func (roundTheClock) Resume(c model.IncidentClock, at time.Time) (model.IncidentClock, error) {
	paused := at.UnixMilli() - c.PausedAt
	c.RespondBy += paused
	c.DisposeBy += paused
	c.PausedAt = 0
	return c, nil
}

func (roundTheClock) Extend(c model.IncidentClock, d time.Duration, _ time.Time) (model.IncidentClock, error) {
	c.DisposeBy += d.Milliseconds()
	return c, nil
}

func (roundTheClock) Escalation(c model.IncidentClock, responded bool, now time.Time) model.Escalation {
	deadline := c.DisposeBy
	if !responded {
		deadline = c.RespondBy
	}
	allowed := deadline - c.Start
	used := now.UnixMilli() - c.Start
	switch {
	case used >= 2*allowed:
		return model.EscalationSevere
	case used >= allowed:
		return model.EscalationOverdue
	case float64(used) >= c.Near*float64(allowed):
		return model.EscalationNear
	}
	return model.EscalationNone
}

// fakeNow is a settable clock.
type fakeNow struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeNow) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeNow) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.t = f.t.Add(d)
}

type fixture struct {
	svc     *Service
	db      *sqlitestore.DB
	now     *fakeNow
	changes *[]Change
	pol     *auth.Policy
	dir     string
}

var testCategories = map[string]Category{
	"gas_leak": {"燃气泄漏", "gas leak"}, "waterlogging": {"路面积水", "waterlogging"},
	"exposed_garbage": {"暴露垃圾", "exposed garbage"}, "other": {"其他", "other"},
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	db, err := sqlitestore.Open(filepath.Join(dir, "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := &fixture{db: db, now: &fakeNow{t: time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)}, pol: auth.NewPolicy(), dir: dir}
	f.svc = f.open(t)
	return f
}

// open builds a service over the fixture's database, as after a restart.
func (f *fixture) open(t *testing.T) *Service {
	t.Helper()
	router, err := DefaultRouter()
	if err != nil {
		t.Fatal(err)
	}
	svc := NewService(f.db, roundTheClock{}, router, testPlaces{}, audit.NewLogger(f.db), Config{Categories: testCategories}, f.now.Now, nil)
	files, err := NewFiles(filepath.Join(f.dir, "attachments"))
	if err != nil {
		t.Fatal(err)
	}
	svc.KeepFiles(files)
	var mu sync.Mutex
	changes := []Change{}
	f.changes = &changes
	svc.Listen(func(c Change) {
		mu.Lock()
		defer mu.Unlock()
		changes = append(changes, c)
	})
	return svc
}

func (f *fixture) user(name string, role model.Role, dept, scope string) auth.Principal {
	return f.pol.UserPrincipal(model.User{Name: name, Role: role, Dept: dept, Scope: scope}, model.TokenSession)
}

func (f *fixture) act(t *testing.T, p auth.Principal, id int64, c Command) model.Incident {
	t.Helper()
	inc, err := f.svc.Act(context.Background(), p, id, c)
	if err != nil {
		t.Fatalf("%s by %s: %v", c.Action, p.Name(), err)
	}
	return inc
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if model.ErrorCode(err) != code {
		t.Fatalf("error %v: code %q, want %q", err, model.ErrorCode(err), code)
	}
}

func ptr[T any](v T) *T { return &v }

func actions(evs []model.IncidentEvent) []string {
	out := make([]string, 0, len(evs))
	for _, e := range evs {
		out = append(out, e.Action)
	}
	return out
}

func eq(a, b []string) bool { return slices.Equal(a, b) }
