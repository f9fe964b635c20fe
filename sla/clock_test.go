package sla

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"cityvitals/model"
)

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

// sh is a time in Shanghai in 2026.
func sh(month time.Month, day, h, m int) time.Time {
	return time.Date(2026, month, day, h, m, 0, 0, shanghai)
}

// startClock starts a clock under the default policy's rule.
func startClock(t *testing.T, category string, level int8, at time.Time) (Clock, *Calendar) {
	t.Helper()
	p := DefaultPolicy()
	r, err := p.Match(category, level)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Start(r, at)
	if err != nil {
		t.Fatal(err)
	}
	cal, err := p.Calendar(c.Calendar)
	if err != nil {
		t.Fatal(err)
	}
	return c, cal
}

func wantTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %s, want %s", what, got.In(shanghai), want.In(shanghai))
	}
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if model.ErrorCode(err) != code {
		t.Errorf("%s: err = %v, want %s", what, err, code)
	}
}

func TestStartPlacesDeadlinesOnWorkingTime(t *testing.T) {
	// exposed_garbage: respond 1h, dispose 1 working day (7h30m) on workdays.
	c, _ := startClock(t, "exposed_garbage", LevelYellow, sh(3, 6, 16, 0)) // a Friday
	if c.Rule != "exposed_garbage/*" || c.Calendar != "workdays" || c.Supervisor != "district_ops_center" || c.Supervisor2 != "city_ops_center" {
		t.Fatalf("clock = %+v", c)
	}
	wantTime(t, "respond near (48m)", c.Respond.NearAt, sh(3, 6, 16, 48))
	wantTime(t, "respond by", c.Respond.By, sh(3, 6, 17, 0))
	wantTime(t, "respond second level (2h)", c.Respond.SecondAt, sh(3, 9, 9, 0))
	wantTime(t, "dispose near (6h)", c.Dispose.NearAt, sh(3, 9, 14, 30))
	wantTime(t, "dispose by", c.Dispose.By, sh(3, 9, 16, 0))
	wantTime(t, "dispose second level (15h)", c.Dispose.SecondAt, sh(3, 10, 16, 0))
	cases := []struct {
		at   time.Time
		want Status
	}{
		{sh(3, 6, 16, 30), Status{StateOK, StateOK}},
		{sh(3, 6, 16, 48), Status{StateNear, StateOK}},
		{sh(3, 6, 17, 0), Status{StateNear, StateOK}}, // at the deadline is still in time
		{sh(3, 6, 17, 1), Status{StateOverdue, StateOK}},
		{sh(3, 9, 14, 30), Status{StateOverdue, StateNear}},
		{sh(3, 9, 16, 1), Status{StateOverdue, StateOverdue}},
	}
	for _, tc := range cases {
		if got := c.Status(tc.at); got != tc.want {
			t.Errorf("Status(%s) = %+v, want %+v", tc.at, got, tc.want)
		}
	}
}

func TestStartAcrossNationalDay(t *testing.T) {
	// 2026-09-30 16:00 + one working day: 1h30m that day, then 1–7 October
	// are holidays, so 6h on Thursday 8 October.
	c, _ := startClock(t, "exposed_garbage", LevelAny, sh(9, 30, 16, 0))
	wantTime(t, "dispose by", c.Dispose.By, sh(10, 8, 16, 0))
	// 15 working days for illegal building from Monday 28 September 10:00:
	// 29, 30 Sep; 8, 9, 10 (Saturday, make-up) Oct; 12–16; 19–22; 23 Oct 10:00.
	c, _ = startClock(t, "illegal_building", LevelAny, sh(9, 28, 10, 0))
	wantTime(t, "illegal building dispose by", c.Dispose.By, sh(10, 23, 10, 0))
}

func TestPauseAndResume(t *testing.T) {
	// dirty_road: respond 1h, dispose 5 working hours.
	c, cal := startClock(t, "dirty_road", LevelAny, sh(3, 9, 9, 0)) // Monday
	wantTime(t, "dispose by", c.Dispose.By, sh(3, 9, 15, 30))
	if err := c.Finish(cal, LegRespond, sh(3, 9, 9, 20)); err != nil {
		t.Fatal(err)
	}
	if err := c.Pause(sh(3, 9, 10, 0)); err != nil {
		t.Fatal(err)
	}
	// Paused, the clock stands at 10:00 with 1h used: no escalation even
	// past the old deadline.
	if got := c.Status(sh(3, 10, 9, 0)); got != (Status{StateMet, StateOK}) {
		t.Errorf("Status while paused = %+v", got)
	}
	if due := c.Due(sh(3, 10, 9, 0)); len(due) != 0 {
		t.Errorf("Due while paused = %+v", due)
	}
	if err := c.Resume(cal, sh(3, 10, 10, 0)); err != nil { // Tuesday 10:00
		t.Fatal(err)
	}
	if c.Paused != hm(7, 30) || c.IsPaused() {
		t.Errorf("Paused = %s (paused %v), want a working day of 7h30m", c.Paused, c.IsPaused())
	}
	// 4h were left at the pause: Tuesday 10:00–12:00 and 13:30–15:30.
	wantTime(t, "dispose by", c.Dispose.By, sh(3, 10, 15, 30))
	wantTime(t, "dispose near (4h used)", c.Dispose.NearAt, sh(3, 10, 14, 30))
	wantTime(t, "dispose second level (10h used)", c.Dispose.SecondAt, sh(3, 11, 11, 30))
	wantTime(t, "respond by does not move once met", c.Respond.By, sh(3, 9, 10, 0))
	rem, err := c.Remaining(cal, sh(3, 10, 11, 0))
	if err != nil {
		t.Fatal(err)
	}
	if rem != (Remaining{Respond: 40 * time.Minute, Dispose: 3 * time.Hour}) {
		t.Errorf("Remaining = %+v, want respond 40m (left when met), dispose 3h", rem)
	}
	rem, _ = c.Remaining(cal, sh(3, 11, 9, 30))
	// 1h before the pause, 6h on Tuesday after it, 1h on Wednesday: 8h of 5h.
	if rem.Dispose != -3*time.Hour {
		t.Errorf("Remaining dispose when overdue = %s, want -3h", rem.Dispose)
	}
}

func TestPauseTwiceAndResumeOverWeekend(t *testing.T) {
	c, cal := startClock(t, "dirty_road", LevelAny, sh(3, 6, 16, 0)) // Friday
	wantTime(t, "dispose by", c.Dispose.By, sh(3, 9, 12, 0))         // 1h30m + 3h30m
	for _, p := range [][2]time.Time{
		{sh(3, 6, 17, 0), sh(3, 7, 12, 0)},   // Friday 17:00 → Saturday: 30m of working time paused
		{sh(3, 9, 10, 0), sh(3, 9, 11, 0)},   // Monday 10:00–11:00: 1h
		{sh(3, 9, 11, 30), sh(3, 9, 11, 30)}, // an empty pause changes nothing
		{sh(3, 9, 12, 30), sh(3, 9, 13, 0)},  // over lunch: no working time paused
	} {
		if err := c.Pause(p[0]); err != nil {
			t.Fatal(err)
		}
		if err := c.Resume(cal, p[1]); err != nil {
			t.Fatal(err)
		}
	}
	if c.Paused != 90*time.Minute {
		t.Errorf("Paused = %s, want 1h30m", c.Paused)
	}
	wantTime(t, "dispose by", c.Dispose.By, sh(3, 9, 15, 0)) // 12:00 + 1h30m, lunch skipped
	if w := cal.Working(c.Start, c.Dispose.By) - c.Paused; w != c.Dispose.Within {
		t.Errorf("working time to the deadline less pauses = %s, want %s", w, c.Dispose.Within)
	}
}

func TestExtend(t *testing.T) {
	// manhole_cover: 6h round the clock; the local rule allows 36h where a
	// cover cannot be replaced in time, granted as a 30h extension.
	start := sh(3, 10, 8, 0)
	c, cal := startClock(t, "manhole_cover", LevelOrange, start)
	wantTime(t, "dispose by", c.Dispose.By, sh(3, 10, 14, 0))
	due := c.Due(sh(3, 10, 15, 0))
	if len(due) != 3 || due[2].Step != StepOverdue || due[2].Leg != LegDispose {
		t.Fatalf("Due before extension = %+v", due)
	}
	for _, e := range due {
		c.MarkEscalated(e)
	}
	if err := c.Extend(cal, 30*time.Hour, sh(3, 10, 15, 0)); err != nil {
		t.Fatal(err)
	}
	wantTime(t, "dispose by", c.Dispose.By, start.Add(36*time.Hour))
	wantTime(t, "dispose near (28.8h)", c.Dispose.NearAt, start.Add(28*time.Hour+48*time.Minute))
	wantTime(t, "dispose second level (72h)", c.Dispose.SecondAt, start.Add(72*time.Hour))
	if c.Dispose.Escalated != StepNone || c.Respond.Escalated != StepSecond {
		t.Errorf("escalated: dispose %s, respond %s; want none (reset) and second_level (kept)", c.Dispose.Escalated, c.Respond.Escalated)
	}
	if got := c.Status(sh(3, 10, 15, 0)).Dispose; got != StateOK {
		t.Errorf("dispose after extension = %s, want ok", got)
	}
	due = c.Due(start.Add(29 * time.Hour))
	if len(due) != 1 || due[0].Step != StepNear || due[0].Key() == "" || !due[0].By.Equal(c.Dispose.By) {
		t.Errorf("Due after extension = %+v, want the dispose near step with the new deadline", due)
	}
}

func TestExtendStillOverdue(t *testing.T) {
	start := sh(3, 10, 8, 0)
	c, cal := startClock(t, "manhole_cover", LevelAny, start)
	now := start.Add(13 * time.Hour) // past the second level at 12h
	for _, e := range c.Due(now) {
		c.MarkEscalated(e)
	}
	if err := c.Extend(cal, time.Hour, now); err != nil {
		t.Fatal(err)
	}
	// 7h allowed now: the deadline passed at 15:00, the second level (14h)
	// is an hour ahead again and escalates anew.
	wantTime(t, "dispose by", c.Dispose.By, start.Add(7*time.Hour))
	wantTime(t, "dispose second level", c.Dispose.SecondAt, start.Add(14*time.Hour))
	if c.Dispose.Escalated != StepOverdue {
		t.Errorf("dispose escalated = %s, want overdue", c.Dispose.Escalated)
	}
	due := c.Due(start.Add(14*time.Hour + time.Minute))
	if len(due) != 1 || due[0].Step != StepSecond || due[0].Dept != "city_ops_center" {
		t.Errorf("Due = %+v, want the second level again", due)
	}
}

func TestFinish(t *testing.T) {
	c, cal := startClock(t, "gas_leak", LevelRed, sh(3, 10, 10, 0))
	if err := c.Finish(cal, LegDispose, sh(3, 10, 11, 0)); err != nil {
		t.Fatal(err)
	}
	if got := c.Status(sh(3, 12, 0, 0)); got != (Status{StateLate, StateMet}) {
		t.Errorf("Status = %+v, want respond late (implied by disposal at 11:00), dispose met", got)
	}
	if c.Dispose.Left != time.Hour || c.Respond.Left != -45*time.Minute {
		t.Errorf("Left: dispose %s, respond %s", c.Dispose.Left, c.Respond.Left)
	}
	if due := c.Due(sh(3, 12, 0, 0)); len(due) != 0 {
		t.Errorf("Due after finishing = %+v", due)
	}
	wantCode(t, "finish twice", c.Finish(cal, LegDispose, sh(3, 10, 12, 0)), model.ECONFLICT)
	wantCode(t, "pause after disposal", c.Pause(sh(3, 10, 12, 0)), model.ECONFLICT)
	wantCode(t, "extend after disposal", c.Extend(cal, time.Hour, sh(3, 10, 12, 0)), model.ECONFLICT)
}

func TestFinishDuringPause(t *testing.T) {
	c, cal := startClock(t, "gas_leak", LevelRed, sh(3, 10, 10, 0))
	if err := c.Pause(sh(3, 10, 10, 5)); err != nil {
		t.Fatal(err)
	}
	if err := c.Finish(cal, LegDispose, sh(3, 10, 15, 0)); err != nil {
		t.Fatal(err)
	}
	wantTime(t, "done at the pause", c.Dispose.DoneAt, sh(3, 10, 10, 5))
	if s := c.Status(sh(3, 10, 16, 0)); s != (Status{StateMet, StateMet}) || c.IsPaused() || c.Paused != 4*time.Hour+55*time.Minute {
		t.Errorf("Status = %+v, paused %v for %s", s, c.IsPaused(), c.Paused)
	}
}

func TestDueClimbsOnce(t *testing.T) {
	// gas_leak red: respond 15m, dispose 2h, round the clock.
	start := sh(3, 10, 10, 0)
	c, _ := startClock(t, "gas_leak", LevelRed, start)
	steps := []struct {
		after time.Duration
		want  []string // leg:step:dept
	}{
		{11 * time.Minute, nil},
		{12 * time.Minute, []string{"respond:near:district_ops_center"}},
		{13 * time.Minute, nil}, // recorded: not again
		{16 * time.Minute, []string{"respond:overdue:district_ops_center"}},
		{31 * time.Minute, []string{"respond:second_level:city_ops_center"}},
		// Unwatched for hours: dispose is past overdue (12:00) and the
		// second level (14:00); the stale near reminder is left out.
		{4*time.Hour + time.Minute, []string{"dispose:overdue:district_ops_center", "dispose:second_level:city_ops_center"}},
		{10 * time.Hour, nil},
	}
	for _, s := range steps {
		now := start.Add(s.after)
		var got []string
		for _, e := range c.Due(now) {
			got = append(got, e.Leg.String()+":"+e.Step.String()+":"+e.Dept)
			if e.At.After(now) {
				t.Errorf("escalation %s reached at %s, after now %s", e.Key(), e.At, now)
			}
			c.MarkEscalated(e)
		}
		if strings.Join(got, ",") != strings.Join(s.want, ",") {
			t.Errorf("Due(+%s) = %v, want %v", s.after, got, s.want)
		}
	}
	if c.Step(LegDispose, start.Add(time.Hour+40*time.Minute)) != StepNear || c.Step(Leg(9), start) != StepNone {
		t.Error("Step")
	}
}

func TestEscalationKey(t *testing.T) {
	e := Escalation{Leg: LegDispose, Step: StepOverdue, By: time.UnixMilli(1773115200000)}
	if got := e.Key(); got != "sla:dispose:overdue:1773115200000" {
		t.Errorf("Key = %q", got)
	}
}

func TestClockJSONRoundTrip(t *testing.T) {
	c, cal := startClock(t, "dirty_road", LevelAny, sh(3, 9, 9, 0).Add(123456789)) // sub-ms part dropped
	if c.Start != sh(3, 9, 9, 0).Add(123*time.Millisecond).UTC() {
		t.Errorf("Start = %s, want whole milliseconds in UTC", c.Start)
	}
	if err := c.Pause(sh(3, 9, 10, 0)); err != nil {
		t.Fatal(err)
	}
	for _, e := range c.Due(sh(3, 9, 9, 50)) {
		c.MarkEscalated(e)
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"start":1773018000123`, `"paused_at":1773021600000`, `"escalated":"near"`, `"within_ms":18000000`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON %s lacks %s", b, want)
		}
	}
	var back Clock
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back != c {
		t.Fatalf("round trip:\n got %+v\nwant %+v", back, c)
	}
	// The restored clock carries on as the original would.
	if err := back.Resume(cal, sh(3, 10, 10, 0)); err != nil {
		t.Fatal(err)
	}
	if err := c.Resume(cal, sh(3, 10, 10, 0)); err != nil {
		t.Fatal(err)
	}
	if back != c {
		t.Errorf("after resume: got %+v, want %+v", back, c)
	}
}

func TestClockJSONRejectsNonsense(t *testing.T) {
	for _, s := range []string{
		`[]`,
		`{"calendar":"workdays","dispose":{"within_ms":1000,"by":5},"near":0.8,"second_level":1}`,
		`{"start":1,"calendar":"workdays","dispose":{"within_ms":-5,"by":5},"near":0.8,"second_level":1}`,
		`{"start":1,"calendar":"workdays","dispose":{"within_ms":1000},"near":0.8,"second_level":1}`,
		`{"start":1,"calendar":"workdays","dispose":{"within_ms":1000,"by":5},"near":1.8,"second_level":1}`,
		`{"start":1,"calendar":"workdays","dispose":{"within_ms":1000,"by":5,"escalated":"sideways"},"near":0.8,"second_level":1}`,
	} {
		var c Clock
		if err := json.Unmarshal([]byte(s), &c); model.ErrorCode(err) != model.EINVALID {
			t.Errorf("Unmarshal(%s) err = %v, want EINVALID", s, err)
		}
	}
}

func TestClockRefusals(t *testing.T) {
	start := sh(3, 10, 10, 0)
	c, cal := startClock(t, "dirty_road", LevelAny, start)
	wantCode(t, "start without rule", func() error { _, err := Start(Rule{ID: "x"}, start); return err }(), model.EINVALID)
	wantCode(t, "resume when running", c.Resume(cal, start), model.ECONFLICT)
	wantCode(t, "pause before start", c.Pause(start.Add(-time.Minute)), model.EINVALID)
	wantCode(t, "extend by zero", c.Extend(cal, 0, start), model.EINVALID)
	wantCode(t, "extend by years", c.Extend(cal, 2*maxLimit, start), model.EINVALID)
	wantCode(t, "extend on another calendar", c.Extend(RoundTheClock("24x7"), time.Hour, start), model.EINVALID)
	wantCode(t, "extend on no calendar", c.Extend(nil, time.Hour, start), model.EINVALID)
	wantCode(t, "finish an unknown leg", c.Finish(cal, Leg(7), start), model.EINVALID)
	wantCode(t, "remaining before start", func() error { _, err := c.Remaining(cal, start.Add(-time.Hour)); return err }(), model.EINVALID)
	if err := c.Pause(start.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "pause twice", c.Pause(start.Add(2*time.Hour)), model.ECONFLICT)
	wantCode(t, "resume before the pause", c.Resume(cal, start.Add(30*time.Minute)), model.EINVALID)
	wantCode(t, "finish respond twice", func() error {
		if err := c.Finish(cal, LegRespond, start.Add(3*time.Hour)); err != nil {
			return err
		}
		return c.Finish(cal, LegRespond, start.Add(3*time.Hour))
	}(), model.ECONFLICT)
	wantTime(t, "respond finished during the pause counts at the pause", c.Respond.DoneAt, start.Add(time.Hour))
}

func TestStateAndStepNames(t *testing.T) {
	for s, want := range map[State]string{StateNone: "none", StateOK: "ok", StateNear: "near", StateOverdue: "overdue", StateMet: "met", StateLate: "late", State(99): "unknown"} {
		if s.String() != want {
			t.Errorf("State(%d) = %s, want %s", s, s, want)
		}
	}
	b, err := json.Marshal(Status{StateNear, StateOverdue})
	if err != nil || string(b) != `{"respond":"near","dispose":"overdue"}` {
		t.Errorf("Status JSON = %s, %v", b, err)
	}
	if _, err := Step(9).MarshalText(); err == nil {
		t.Error("an unknown step must not marshal")
	}
	if LegRespond.String() != "respond" || Leg(0).String() != "unknown" {
		t.Error("Leg names")
	}
}
