package silence_test

import (
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"cityvitals/alert"
	"cityvitals/alert/silence"
	"cityvitals/audit"
	"cityvitals/model"
	sqlitestore "cityvitals/store/sqlite"
)

var _ alert.Muter = (*silence.Silencer)(nil)

var t0 = time.Date(2025, 7, 1, 8, 0, 0, 0, time.UTC)

// clock is a wall clock the test moves by hand.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

// fixture is a Service, its Silencer and the database behind both.
type fixture struct {
	db       *sqlitestore.DB
	clock    *clock
	silencer *silence.Silencer
	service  *silence.Service
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	db, err := sqlitestore.Open(filepath.Join(t.TempDir(), "cityvitals.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	c := &clock{now: t0}
	silencer, err := silence.NewSilencer(t.Context(), db, silence.WithSilencerClock(c.Now))
	if err != nil {
		t.Fatal(err)
	}
	logger := audit.NewLogger(db, audit.WithClock(c.Now))
	service := silence.NewService(db, logger, silencer, silence.WithClock(c.Now))
	return &fixture{db: db, clock: c, silencer: silencer, service: service}
}

func gasWorks(unit string) silence.Silence {
	return silence.Silence{
		Matchers:  []silence.Matcher{{Name: "unit", Op: silence.OpEqual, Value: unit}, {Name: "indicator", Op: silence.OpRegexp, Value: `gas\..*`}},
		EndsAt:    t0.Add(4 * time.Hour),
		CreatedBy: "li.na",
		Comment:   "planned gas works",
	}
}

func gasAlert(unit string) model.Alert {
	return model.Alert{Fingerprint: "fp-" + unit, Rule: "threshold", Level: 2,
		Labels: map[string]string{"unit": unit, "indicator": "gas.leak.manholes", "domain": "gas"}}
}

func TestCreateValidation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		name   string
		change func(*silence.Silence)
		want   string
	}{
		{"no creator", func(s *silence.Silence) { s.CreatedBy = " " }, "created_by is required"},
		{"no comment", func(s *silence.Silence) { s.Comment = "" }, "comment is required"},
		{"no matchers", func(s *silence.Silence) { s.Matchers = nil }, "matchers: at least one is required"},
		{"bad regexp", func(s *silence.Silence) { s.Matchers[1].Value = "gas.(" }, "matchers[1].value: invalid regular expression"},
		{"bad op", func(s *silence.Silence) { s.Matchers[0].Op = "~" }, "matchers[0].op"},
		{"selects everything", func(s *silence.Silence) {
			s.Matchers = []silence.Matcher{{Name: "unit", Op: silence.OpRegexp, Value: ".*"}}
		}, "would select every alert"},
		{"no end", func(s *silence.Silence) { s.EndsAt = time.Time{} }, "ends_at is required"},
		{"end before start", func(s *silence.Silence) {
			s.StartsAt, s.EndsAt = t0.Add(2*time.Hour), t0.Add(time.Hour)
		}, "must be after starts_at"},
		{"end in the past", func(s *silence.Silence) { s.EndsAt = t0.Add(-time.Minute) }, "must be after starts_at"},
		{"too long", func(s *silence.Silence) { s.EndsAt = t0.Add(91 * 24 * time.Hour) }, "more than 2160h0m0s after"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := gasWorks("310101")
			tc.change(&s)
			_, err := f.service.Create(t.Context(), s)
			if model.ErrorCode(err) != model.EINVALID {
				t.Fatalf("Create error %v, want EINVALID", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
	if got, err := f.db.Silences(t.Context(), true); err != nil || len(got) != 0 {
		t.Errorf("invalid silences were stored: %v, %v", got, err)
	}
}

func TestCreateStartsNowAndMutes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	in := gasWorks("310101")
	in.StartsAt = t0.Add(-time.Hour) // in the past: starts now instead
	s, err := f.service.Create(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	if s.ID == 0 || !s.StartsAt.Equal(t0) || !s.CreatedAt.Equal(t0) {
		t.Errorf("created %+v, want an ID and start/creation at %s", s, t0)
	}
	tests := []struct {
		name  string
		alert model.Alert
		at    time.Time
		want  bool
	}{
		{"selected, active", gasAlert("310101"), t0.Add(time.Hour), true},
		{"other unit", gasAlert("310104"), t0.Add(time.Hour), false},
		{"event before the silence", gasAlert("310101"), t0.Add(-time.Minute), false},
		{"event after the end", gasAlert("310101"), s.EndsAt, false},
	}
	for _, tc := range tests {
		if got := f.silencer.Mutes(tc.alert, tc.at); got != tc.want {
			t.Errorf("%s: Mutes = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestExtendAndExpire(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	s, err := f.service.Create(ctx, gasWorks("310101"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.service.Extend(ctx, "wang.wei", s.ID, s.EndsAt.Add(-time.Minute)); model.ErrorCode(err) != model.EINVALID {
		t.Errorf("Extend to an earlier end: error %v, want EINVALID", err)
	}
	if _, err := f.service.Extend(ctx, "wang.wei", 999, s.EndsAt.Add(time.Hour)); model.ErrorCode(err) != model.ENOTFOUND {
		t.Errorf("Extend unknown silence: error %v, want ENOTFOUND", err)
	}
	later := s.EndsAt.Add(2 * time.Hour)
	extended, err := f.service.Extend(ctx, "wang.wei", s.ID, later)
	if err != nil {
		t.Fatal(err)
	}
	if !extended.EndsAt.Equal(later) || !f.silencer.Mutes(gasAlert("310101"), later.Add(-time.Minute)) {
		t.Errorf("extended silence ends %s, want %s, and must mute until then", extended.EndsAt, later)
	}

	f.clock.now = t0.Add(time.Hour)
	if err := f.service.Expire(ctx, "wang.wei", s.ID); err != nil {
		t.Fatal(err)
	}
	if f.silencer.Mutes(gasAlert("310101"), f.clock.now) {
		t.Error("expired silence still mutes")
	}
	if !f.silencer.Mutes(gasAlert("310101"), t0.Add(30*time.Minute)) {
		t.Error("an event from before the expiry must still meet the silence")
	}
	if err := f.service.Expire(ctx, "wang.wei", s.ID); model.ErrorCode(err) != model.ECONFLICT {
		t.Errorf("second Expire: error %v, want ECONFLICT", err)
	}
	if _, err := f.service.Extend(ctx, "wang.wei", s.ID, later.Add(time.Hour)); model.ErrorCode(err) != model.EINVALID {
		t.Errorf("Extend expired silence: error %v, want EINVALID", err)
	}
	wantAudit(t, f.db, []string{"li.na silence.create", "wang.wei silence.extend", "wang.wei silence.expire"}, s.ID)
}

// wantAudit checks the audit log holds exactly the "actor action" records
// given, in order, each targeting silence id with its matchers in the detail.
func wantAudit(t *testing.T, db *sqlitestore.DB, want []string, id int64) {
	t.Helper()
	var got []string
	err := db.EachAudit(t.Context(), func(r model.AuditRecord) error {
		got = append(got, r.Actor+" "+r.Action)
		if r.Target != "silence "+strconv.FormatInt(id, 10) {
			t.Errorf("audit %s target %q, want silence %d", r.Action, r.Target, id)
		}
		var detail map[string]any
		if err := json.Unmarshal([]byte(r.Detail), &detail); err != nil {
			return err
		}
		if detail["matchers"] != `{unit="310101",indicator=~"gas\\..*"}` {
			t.Errorf("audit %s detail matchers %v", r.Action, detail["matchers"])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("audit log %q, want %q", got, want)
	}
}
