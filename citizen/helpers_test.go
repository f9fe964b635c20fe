package citizen_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"cityvitals/auth"
	"cityvitals/citizen"
	"cityvitals/model"
	sqlitestore "cityvitals/store/sqlite"
)

// t0 is the clock of the tests: a Tuesday morning in Shanghai.
var t0 = time.Date(2025, 7, 1, 1, 30, 0, 0, time.UTC)

// People's Square, Shanghai (WGS84).
const squareLon, squareLat = 121.4737, 31.2304

// metresNorth returns the latitude m metres north of lat.
func metresNorth(lat, m float64) float64 { return lat + m/111_195.0 }

// incidentLog is a small real incident side: it hands out ids and
// remembers every call, in order.
type incidentLog struct {
	mu       sync.Mutex
	next     int64
	calls    []string
	opened   map[int64]model.Report   // incident → the report that opened it
	attached map[int64][]model.Report // incident → its duplicates
	closed   map[int64]model.Report
	fail     error // when set, every call fails with it
}

func newIncidentLog() *incidentLog {
	return &incidentLog{next: 1000, opened: map[int64]model.Report{}, attached: map[int64][]model.Report{}, closed: map[int64]model.Report{}}
}

func (l *incidentLog) OpenFromReport(_ context.Context, r model.Report) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail != nil {
		return 0, l.fail
	}
	if r.ID == 0 || r.DuplicateOf != 0 {
		return 0, errors.New("OpenFromReport wants a stored original")
	}
	l.next++
	l.opened[l.next] = r
	l.calls = append(l.calls, "open")
	return l.next, nil
}

func (l *incidentLog) AttachReport(_ context.Context, incidentID int64, r model.Report) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail != nil {
		return l.fail
	}
	if _, ok := l.opened[incidentID]; !ok {
		return errors.New("AttachReport to an incident never opened")
	}
	if r.IncidentID != incidentID || r.DuplicateOf == 0 {
		return errors.New("AttachReport wants a duplicate carrying the incident id")
	}
	l.attached[incidentID] = append(l.attached[incidentID], r)
	l.calls = append(l.calls, "attach")
	return nil
}

func (l *incidentLog) CloseFromReport(_ context.Context, incidentID int64, r model.Report) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail != nil {
		return l.fail
	}
	if _, ok := l.opened[incidentID]; !ok {
		return errors.New("CloseFromReport of an incident never opened")
	}
	l.closed[incidentID] = r
	l.calls = append(l.calls, "close")
	return nil
}

func (l *incidentLog) setFail(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fail = err
}

// auditLog records audit calls.
type auditLog struct {
	mu      sync.Mutex
	records []string // "actor action target"
}

func (a *auditLog) Record(_ context.Context, actor, action, target string, _ any) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.records = append(a.records, actor+" "+action+" "+target)
	return nil
}

func (a *auditLog) all() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.records...)
}

type fixture struct {
	svc       *citizen.Service
	db        *sqlitestore.DB
	path      string
	incidents *incidentLog
	audit     *auditLog
}

// newFixture builds a Service over a fresh SQLite file, the default
// catalog, a recording incident side and a clock at t0.
func newFixture(tb testing.TB, configure ...func(*citizen.Config)) *fixture {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "cityvitals.db")
	db, err := sqlitestore.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	catalog, err := citizen.DefaultCatalog()
	if err != nil {
		tb.Fatal(err)
	}
	f := &fixture{db: db, path: path, incidents: newIncidentLog(), audit: &auditLog{}}
	cfg := citizen.Config{
		Reports: db, Catalog: catalog, Incidents: f.incidents, Audit: f.audit,
		Now: func() time.Time { return t0 },
	}
	for _, c := range configure {
		c(&cfg)
	}
	if f.svc, err = citizen.NewService(cfg); err != nil {
		tb.Fatal(err)
	}
	return f
}

// garbageAt is a valid submission of exposed garbage at a point.
func garbageAt(lon, lat float64, when time.Time) citizen.Submission {
	return citizen.Submission{
		ServiceCode: "exposed_garbage", Description: "路边堆放的生活垃圾", Lon: lon, Lat: lat, HasPoint: true,
		Channel: "open311", SubmittedBy: "app", RequestedAt: when,
	}
}

func principal(role model.Role) auth.Principal {
	return auth.NewPolicy().UserPrincipal(model.User{ID: 1, Name: string(role) + "-user", Role: role}, model.TokenAPI)
}

func mustNil(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// wantError fails unless err has the code and its message mentions every
// fragment.
func wantError(tb testing.TB, err error, code string, fragments ...string) {
	tb.Helper()
	if model.ErrorCode(err) != code {
		tb.Fatalf("error %v: code %q, want %q", err, model.ErrorCode(err), code)
	}
	for _, f := range fragments {
		if !strings.Contains(model.ErrorMessage(err), f) {
			tb.Errorf("error %q does not mention %q", model.ErrorMessage(err), f)
		}
	}
}
