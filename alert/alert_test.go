package alert_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"cityvitals/alert"
	"cityvitals/audit"
	"cityvitals/model"
	sqlitestore "cityvitals/store/sqlite"
)

type recorder struct{ events []alert.Event }

func (r *recorder) notify(e alert.Event) { r.events = append(r.events, e) }

func (r *recorder) kinds() []alert.EventKind {
	var out []alert.EventKind
	for _, e := range r.events {
		out = append(out, e.Kind)
	}
	return out
}

func open(t *testing.T, path string) (*alert.Manager, *recorder, *sqlitestore.DB) {
	t.Helper()
	db, err := sqlitestore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	rec := &recorder{}
	m, err := alert.NewManager(context.Background(), db, alert.Config{}, rec.notify, audit.NewLogger(db), nil)
	if err != nil {
		t.Fatal(err)
	}
	return m, rec, db
}

// feed applies findings synchronously through Run.
func feed(t *testing.T, m *alert.Manager, fs ...alert.Finding) {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	for _, f := range fs {
		m.Submit(context.Background(), f)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

var (
	min0   = time.Date(2026, 11, 28, 8, 0, 0, 0, time.UTC).UnixMilli()
	labels = map[string]string{"domain": "gas", "unit": "310101", "indicator": "gas.leak"}
)

func at(minutes int) int64 { return min0 + int64(minutes)*60_000 }

func finding(level int8, minute int) alert.Finding {
	return alert.Finding{Rule: "threshold", Labels: labels, Level: level, At: at(minute), Evidence: map[string]any{"value": float64(level) * 10}}
}

func TestLifecycle(t *testing.T) {
	cases := []struct {
		name     string
		findings []alert.Finding
		advance  int // minute to Advance to after the findings (0: none)
		want     []alert.EventKind
		state    model.AlertState
	}{
		{"red fires at once", []alert.Finding{finding(4, 0)}, 0, []alert.EventKind{alert.EventFiring}, model.AlertFiring},
		{"yellow waits for its for", []alert.Finding{finding(2, 0)}, 4, nil, model.AlertPending},
		{"yellow fires after 5 minutes", []alert.Finding{finding(2, 0)}, 5, []alert.EventKind{alert.EventFiring}, model.AlertFiring},
		{"pending that clears never fires", []alert.Finding{finding(2, 0), finding(0, 3)}, 10, nil, model.AlertResolved},
		{"escalation while pending fires at the faster level", []alert.Finding{finding(2, 0), finding(4, 1)}, 0, []alert.EventKind{alert.EventFiring}, model.AlertFiring},
		{"firing, updated, resolved", []alert.Finding{finding(4, 0), finding(3, 2), finding(0, 9)}, 0,
			[]alert.EventKind{alert.EventFiring, alert.EventUpdated, alert.EventResolved}, model.AlertResolved},
		{"a later finding advances pending ones first", []alert.Finding{finding(2, 0), finding(2, 0), {Rule: "threshold", Labels: map[string]string{"unit": "x"}, Level: 4, At: at(6)}}, 0,
			[]alert.EventKind{alert.EventFiring, alert.EventFiring}, model.AlertFiring},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, rec, db := open(t, filepath.Join(t.TempDir(), "a.db"))
			feed(t, m, tc.findings...)
			if tc.advance > 0 {
				if err := m.Advance(context.Background(), at(tc.advance)); err != nil {
					t.Fatal(err)
				}
			}
			if got := rec.kinds(); len(got) != len(tc.want) || (len(got) > 0 && !equal(got, tc.want)) {
				t.Fatalf("events %v, want %v", got, tc.want)
			}
			a, err := db.Alert(context.Background(), alert.Fingerprint("threshold", labels))
			if err != nil {
				t.Fatal(err)
			}
			if a.State != tc.state {
				t.Fatalf("state %s, want %s", a.State, tc.state)
			}
		})
	}
}

func equal(a, b []alert.EventKind) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestFiringTimeIsWhenForRanOut(t *testing.T) {
	m, rec, _ := open(t, filepath.Join(t.TempDir(), "a.db"))
	feed(t, m, finding(2, 0))
	if err := m.Advance(context.Background(), at(30)); err != nil {
		t.Fatal(err)
	}
	if len(rec.events) != 1 || rec.events[0].At != at(5) || rec.events[0].Alert.UpdatedAt != at(5) {
		t.Fatalf("events %+v, want one firing at minute 5 whenever Advance is called", rec.events)
	}
}

func TestRestartContinuesOpenAlerts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.db")
	m, _, db := open(t, path)
	feed(t, m, finding(2, 0))
	db.Close()
	again, rec, _ := open(t, path)
	if err := again.Advance(context.Background(), at(5)); err != nil {
		t.Fatal(err)
	}
	if got := rec.kinds(); len(got) != 1 || got[0] != alert.EventFiring {
		t.Fatalf("after a restart the pending alert gave %v, want it to fire", got)
	}
}

func TestAckAndAssign(t *testing.T) {
	m, rec, db := open(t, filepath.Join(t.TempDir(), "a.db"))
	ctx := context.Background()
	feed(t, m, finding(4, 0))
	fp := alert.Fingerprint("threshold", labels)
	a, err := m.Ack(ctx, fp, "duty-officer")
	if err != nil || a.AckedBy != "duty-officer" || a.AckedAt.IsZero() {
		t.Fatalf("ack = %+v, %v", a, err)
	}
	if a, _ = m.Ack(ctx, fp, "someone-else"); a.AckedBy != "duty-officer" {
		t.Fatalf("second ack replaced the first: %+v", a)
	}
	if _, err := m.Assign(ctx, fp, "gas-team-3", "dispatcher"); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Assign(ctx, fp, "", "dispatcher"); model.ErrorCode(err) != model.EINVALID {
		t.Fatalf("empty assignee: %v, want EINVALID", err)
	}
	if _, err := m.Ack(ctx, "nope", "x"); model.ErrorCode(err) != model.ENOTFOUND {
		t.Fatalf("unknown alert: %v, want ENOTFOUND", err)
	}
	if got := rec.kinds(); !equal(got, []alert.EventKind{alert.EventFiring, alert.EventAcked, alert.EventAssigned}) || len(got) != 3 {
		t.Fatalf("events %v", got)
	}
	stored, _ := db.Alert(ctx, fp)
	if stored.Assignee != "gas-team-3" || stored.AckedBy != "duty-officer" {
		t.Fatalf("stored %+v", stored)
	}
	rep, err := audit.Verify(ctx, db)
	if err != nil || !rep.OK() || rep.Records != 2 {
		t.Fatalf("audit %+v %v: want the ack and the assignment", rep, err)
	}
}
