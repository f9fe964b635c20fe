package sqlitestore_test

import (
	"reflect"
	"testing"
	"time"

	"cityvitals/alert/silence"
	"cityvitals/model"
)

func newSilence(unit string, start, end time.Time) silence.Silence {
	return silence.Silence{
		Matchers:  []silence.Matcher{{Name: "unit", Op: silence.OpEqual, Value: unit}, {Name: "level", Op: silence.OpNotRegexp, Value: "red"}},
		StartsAt:  start,
		EndsAt:    end,
		CreatedBy: "li.na",
		Comment:   "维修 works",
		CreatedAt: start,
		UpdatedAt: start,
	}
}

func TestSilenceRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db, _ := mustOpen(t)
	in := newSilence("310101", t0.Add(123456789*time.Nanosecond), t0.Add(time.Hour))
	saved, err := db.PutSilence(ctx, in)
	mustNil(t, err)
	if saved.ID == 0 || saved.StartsAt.Nanosecond()%int(time.Millisecond) != 0 {
		t.Errorf("PutSilence returned %+v: want an ID and times cut to the millisecond", saved)
	}
	got, err := db.Silence(ctx, saved.ID)
	mustNil(t, err)
	if !reflect.DeepEqual(got, saved) {
		t.Errorf("read back %+v,\nwant %+v", got, saved)
	}

	saved.EndsAt, saved.Comment = t0.Add(3*time.Hour), "longer works"
	updated, err := db.PutSilence(ctx, saved)
	mustNil(t, err)
	got, err = db.Silence(ctx, saved.ID)
	mustNil(t, err)
	if !reflect.DeepEqual(got, updated) || !got.EndsAt.Equal(t0.Add(3*time.Hour)) {
		t.Errorf("after update read %+v, want %+v", got, updated)
	}
}

func TestSilenceErrors(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db, _ := mustOpen(t)
	s, err := db.PutSilence(ctx, newSilence("310101", t0, t0.Add(time.Hour)))
	mustNil(t, err)
	mustNil(t, db.ExpireSilence(ctx, s.ID, "wang.wei", t0.Add(time.Minute)))

	tests := []struct {
		name string
		run  func() error
		code string
	}{
		{"read unknown", func() error { _, err := db.Silence(ctx, 99); return err }, model.ENOTFOUND},
		{"update unknown", func() error {
			_, err := db.PutSilence(ctx, silence.Silence{ID: 99, EndsAt: t0})
			return err
		}, model.ENOTFOUND},
		{"update expired", func() error { _, err := db.PutSilence(ctx, s); return err }, model.ECONFLICT},
		{"expire unknown", func() error { return db.ExpireSilence(ctx, 99, "x", t0) }, model.ENOTFOUND},
		{"expire again", func() error { return db.ExpireSilence(ctx, s.ID, "x", t0.Add(time.Hour)) }, model.ECONFLICT},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := model.ErrorCode(tc.run()); got != tc.code {
				t.Errorf("error code %q, want %q", got, tc.code)
			}
		})
	}
}

func TestExpireSilence(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		start, end time.Time
		at         time.Time
		wantStart  time.Time
	}{
		{"active ends at once", t0, t0.Add(time.Hour), t0.Add(10 * time.Minute), t0},
		{"pending never starts", t0.Add(time.Hour), t0.Add(2 * time.Hour), t0, t0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			db, _ := mustOpen(t)
			s, err := db.PutSilence(ctx, newSilence("310101", tc.start, tc.end))
			mustNil(t, err)
			mustNil(t, db.ExpireSilence(ctx, s.ID, "wang.wei", tc.at))
			got, err := db.Silence(ctx, s.ID)
			mustNil(t, err)
			if !got.StartsAt.Equal(tc.wantStart) || !got.EndsAt.Equal(tc.at) || got.ExpiredBy != "wang.wei" {
				t.Errorf("expired silence %+v: want start %s, end %s, expired by wang.wei", got, tc.wantStart, tc.at)
			}
			if st := got.State(tc.at); st != silence.StateExpired {
				t.Errorf("state at expiry %s, want expired", st)
			}
		})
	}
}

func TestSilencesListing(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db, _ := mustOpen(t)
	now := time.Now()
	ended, err := db.PutSilence(ctx, newSilence("310101", now.Add(-2*time.Hour), now.Add(-time.Hour)))
	mustNil(t, err)
	running, err := db.PutSilence(ctx, newSilence("310104", now.Add(-time.Hour), now.Add(time.Hour)))
	mustNil(t, err)
	upcoming, err := db.PutSilence(ctx, newSilence("310106", now.Add(time.Hour), now.Add(2*time.Hour)))
	mustNil(t, err)

	tests := []struct {
		name           string
		includeExpired bool
		want           []int64
	}{
		{"current", false, []int64{running.ID, upcoming.ID}},
		{"all", true, []int64{ended.ID, running.ID, upcoming.ID}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := db.Silences(ctx, tc.includeExpired)
			mustNil(t, err)
			var ids []int64
			for _, s := range got {
				ids = append(ids, s.ID)
			}
			if !reflect.DeepEqual(ids, tc.want) {
				t.Errorf("Silences(%v) ids %v, want %v", tc.includeExpired, ids, tc.want)
			}
		})
	}
}
