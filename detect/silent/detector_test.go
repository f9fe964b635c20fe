package silent_test

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"cityvitals/alert"
	"cityvitals/detect/silent"
	"cityvitals/model"
)

const minute = int64(time.Minute / time.Millisecond)

func names(unit string) (string, string) {
	if unit == "310101" {
		return "黄浦区", "Huangpu"
	}
	return unit, unit
}

func newDetector(t testing.TB, cfg silent.Config) *silent.Detector {
	t.Helper()
	if cfg.Names == nil {
		cfg.Names = names
	}
	d, err := silent.New(cfg)
	if err != nil {
		t.Fatalf("new detector: %v", err)
	}
	return d
}

// describe renders a finding compactly: "unit kind[/stream] level".
func describe(f alert.Finding) string {
	if f.Rule != silent.Rule {
		return "rule " + f.Rule
	}
	if f.Labels["kind"] == "group" {
		return fmt.Sprintf("%s group %d", f.Labels["unit"], f.Level)
	}
	return fmt.Sprintf("%s stream/%s %d", f.Labels["unit"], f.Labels["stream"], f.Level)
}

func describeAll(fs []alert.Finding) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, describe(f))
	}
	return out
}

// step is one moment of a scenario: observations, then a Scan.
type step struct {
	name string
	seen []int64 // streams that report at now-1
	now  int64
	want []string
}

func runSteps(t *testing.T, d *silent.Detector, steps []step) {
	t.Helper()
	for _, s := range steps {
		for _, id := range s.seen {
			d.Seen(id, s.now-1)
		}
		if got := describeAll(d.Scan(s.now)); !slices.Equal(got, s.want) {
			t.Fatalf("%s: findings\n got %q\nwant %q", s.name, got, s.want)
		}
	}
}

func register(d *silent.Detector, unit string, first, n int64, interval time.Duration) []int64 {
	var ids []int64
	for id := first; id < first+n; id++ {
		d.Register(silent.Stream{ID: id, Device: fmt.Sprintf("dev-%d", id), Unit: unit, Interval: interval})
		ids = append(ids, id)
	}
	return ids
}

func TestSingleStream(t *testing.T) {
	t.Parallel()
	d := newDetector(t, silent.Config{})
	d.Register(silent.Stream{ID: 42, Device: "GAS-7", Unit: "310101", Interval: time.Minute})
	runSteps(t, d, []step{
		{name: "registered and reporting", seen: []int64{42}, now: 1, want: []string{}},
		{name: "exactly 3 intervals is not yet silent", now: 3*minute + 0, want: []string{}},
		{name: "past 3 intervals", now: 3*minute + 1, want: []string{"310101 stream/42 1"}},
		{name: "still silent: no repeat", now: 10 * minute, want: []string{}},
		{name: "reports again", seen: []int64{42}, now: 11 * minute, want: []string{"310101 stream/42 0"}},
		{name: "reporting", now: 13 * minute, want: []string{}},
		{name: "silent again", now: 14*minute + 1, want: []string{"310101 stream/42 1"}},
	})
}

func TestStreamSummary(t *testing.T) {
	t.Parallel()
	d := newDetector(t, silent.Config{})
	d.Register(silent.Stream{ID: 42, Device: "GAS-7", Unit: "310101", Interval: 5 * time.Minute})
	d.Seen(42, 0)
	got := d.Scan(15*minute + 1)
	if len(got) != 1 {
		t.Fatalf("findings %q", describeAll(got))
	}
	f := got[0]
	wantLabels := map[string]string{"unit": "310101", "kind": "stream", "stream": "42", "device": "GAS-7"}
	if !reflect.DeepEqual(f.Labels, wantLabels) || f.At != 15*minute+1 || f.Evidence["since"] != int64(0) {
		t.Fatalf("finding %+v", f)
	}
	if f.SummaryZH != "黄浦区 设备 GAS-7（数据流 42）失联（15 分钟无数据）" ||
		f.SummaryEN != "Huangpu: device GAS-7 (stream 42) silent (no data for 15 min)" {
		t.Fatalf("summaries %q / %q", f.SummaryZH, f.SummaryEN)
	}
}

func TestPowerCutIsOneGroupFinding(t *testing.T) {
	t.Parallel()
	d := newDetector(t, silent.Config{})
	street := register(d, "310101", 1, 5200, time.Minute)
	neighbour := register(d, "310104", 10001, 300, time.Minute)
	for _, id := range append(street, neighbour...) {
		d.Seen(id, 0)
	}
	if got := d.Scan(minute); len(got) != 0 {
		t.Fatalf("before the cut: %q", describeAll(got))
	}
	// The power goes at 0: 5,000 of the street's streams never report again.
	for now := 2 * minute; now <= 14*minute; now += minute {
		for _, id := range append(street[5000:], neighbour...) {
			d.Seen(id, now)
		}
	}
	got := d.Scan(15 * minute)
	if want := []string{"310101 group 4"}; !slices.Equal(describeAll(got), want) {
		t.Fatalf("findings %q, want %q", describeAll(got), want)
	}
	f := got[0]
	sample := f.Evidence["streams"].([]int64)
	if f.Evidence["silent"] != 5000 || f.Evidence["total"] != 5200 || f.Evidence["since"] != int64(0) ||
		!slices.Equal(sample, street[:20]) {
		t.Fatalf("evidence %v", f.Evidence)
	}
	if f.SummaryZH != "黄浦区 5,000/5,200 台设备失联（15 分钟无数据）" ||
		f.SummaryEN != "Huangpu: 5,000 of 5,200 devices silent (no data for 15 min)" {
		t.Fatalf("summaries %q / %q", f.SummaryZH, f.SummaryEN)
	}
	if got := d.Scan(16 * minute); len(got) != 0 {
		t.Fatalf("unchanged storm repeated: %q", describeAll(got))
	}
}

func TestPartialRecovery(t *testing.T) {
	t.Parallel()
	d := newDetector(t, silent.Config{})
	ids := register(d, "310101", 1, 20, time.Minute)
	for _, id := range ids {
		d.Seen(id, 0)
	}
	d.Scan(0)
	reporting := slices.Clone(ids[10:]) // the first ten fall silent
	steps := []struct {
		name string
		back []int64 // silent streams that report again before this Scan
		want []string
	}{
		{name: "half the unit silent is orange", want: []string{"310101 group 3"}},
		{name: "three back: 7 of 20 is yellow", back: []int64{8, 9, 10}, want: []string{"310101 group 2"}},
		{name: "nothing changes: nothing said", want: []string{}},
		{name: "one back: 6 of 20 still yellow, count updated", back: []int64{7}, want: []string{"310101 group 2"}},
		{name: "two back: 4 left, below GroupMin: group clears, four stream findings", back: []int64{5, 6},
			want: []string{"310101 group 0", "310101 stream/1 1", "310101 stream/2 1", "310101 stream/3 1", "310101 stream/4 1"}},
		{name: "one back clears its own finding", back: []int64{4}, want: []string{"310101 stream/4 0"}},
	}
	for i, s := range steps {
		reporting = append(reporting, s.back...)
		now := int64(i+3)*minute + 1
		for _, id := range reporting {
			d.Seen(id, now-1)
		}
		if got := describeAll(d.Scan(now)); !slices.Equal(got, s.want) {
			t.Fatalf("%s: findings\n got %q\nwant %q", s.name, got, s.want)
		}
	}
}

func TestStreamFindingsFoldIntoGroup(t *testing.T) {
	t.Parallel()
	d := newDetector(t, silent.Config{GroupMin: 4})
	ids := register(d, "310101", 1, 10, time.Minute)
	for _, id := range ids {
		d.Seen(id, 0)
	}
	d.Scan(0)
	for _, id := range ids[2:] {
		d.Seen(id, 2*minute)
	}
	for _, id := range ids[5:] {
		d.Seen(id, 4*minute)
	}
	runSteps(t, d, []step{
		{name: "two silent: two stream findings", now: 4 * minute, want: []string{"310101 stream/1 1", "310101 stream/2 1"}},
		{name: "five silent: one group, the stream findings clear", now: 6 * minute,
			want: []string{"310101 group 3", "310101 stream/1 0", "310101 stream/2 0"}},
	})
}

func TestNeverSeenCountsFromRegistration(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		firstScan  int64 // before registering; -1: none
		registered int64 // expected registration time
	}{
		{name: "registered before any scan: from the first scan", firstScan: -1, registered: 10 * minute},
		{name: "registered after a scan: from its frontier", firstScan: 7 * minute, registered: 7 * minute},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := newDetector(t, silent.Config{})
			if tc.firstScan >= 0 {
				d.Scan(tc.firstScan)
			}
			d.Register(silent.Stream{ID: 5, Unit: "310101", Interval: time.Minute})
			if got := d.Scan(10 * minute); len(got) != 0 {
				t.Fatalf("at registration: %q", describeAll(got))
			}
			if got := d.Scan(tc.registered + 3*minute); len(got) != 0 {
				t.Fatalf("at the deadline: %q", describeAll(got))
			}
			got := d.Scan(tc.registered + 3*minute + 1)
			if len(got) != 1 || got[0].Evidence["since"] != tc.registered || got[0].SummaryEN != "Huangpu: stream 5 silent (no data for 3 min)" {
				t.Fatalf("after the deadline: %+v", got)
			}
		})
	}
}

func TestForgetClears(t *testing.T) {
	t.Parallel()
	d := newDetector(t, silent.Config{})
	register(d, "310101", 1, 2, time.Minute)
	runSteps(t, d, []step{
		{name: "registered", now: 0, want: []string{}},
		{name: "both silent", now: 3*minute + 1, want: []string{"310101 stream/1 1", "310101 stream/2 1"}},
	})
	d.Forget(1)
	d.Forget(99) // unknown: ignored
	runSteps(t, d, []step{{name: "forgotten clears", now: 4 * minute, want: []string{"310101 stream/1 0"}}})
	if d.Registered() != 1 {
		t.Fatalf("registered %d, want 1", d.Registered())
	}
}

func TestDeterministic(t *testing.T) {
	t.Parallel()
	run := func(order []int64) [][]alert.Finding {
		d := newDetector(t, silent.Config{})
		for _, id := range order {
			unit := fmt.Sprintf("u%d", id%7)
			d.Register(silent.Stream{ID: id, Device: fmt.Sprint(id), Unit: unit, Interval: time.Duration(id%3+1) * time.Minute})
		}
		var out [][]alert.Finding
		for now := int64(0); now <= 30*minute; now += 30_000 {
			for _, id := range order {
				if id%5 != 0 && now < 10*minute || id%11 == 0 && now > 20*minute {
					d.Seen(id, now)
				}
			}
			out = append(out, d.Scan(now))
		}
		return out
	}
	ids := make([]int64, 200)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	first := run(ids)
	slices.Reverse(ids)
	second := run(ids)
	if !reflect.DeepEqual(first, second) {
		t.Fatal("findings depend on registration order")
	}
	total := 0
	for _, fs := range first {
		total += len(fs)
		if !slices.IsSortedFunc(fs, func(a, b alert.Finding) int { return strings.Compare(a.Labels["unit"], b.Labels["unit"]) }) {
			t.Fatalf("findings not sorted by unit: %q", describeAll(fs))
		}
	}
	if total == 0 {
		t.Fatal("scenario produced no findings")
	}
}

func TestHostileInput(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		interval time.Duration
		feed     func(d *silent.Detector)
		silentAt int64 // first now at which stream 1 is silent
	}{
		{name: "zero interval uses MinInterval", silentAt: 3*minute + 1},
		{name: "negative interval uses MinInterval", interval: -time.Hour, silentAt: 3*minute + 1},
		{name: "shorter than MinInterval uses MinInterval", interval: time.Second, silentAt: 3*minute + 1},
		{name: "unknown ids are ignored", interval: time.Minute, silentAt: 3*minute + 1,
			feed: func(d *silent.Detector) { d.Seen(-1, minute); d.Seen(2, minute); d.Forget(3) }},
		{name: "older times do not move last seen back", interval: time.Minute, silentAt: 5*minute + 1,
			feed: func(d *silent.Detector) { d.Seen(1, 2*minute); d.Seen(1, minute) }},
		{name: "re-registering keeps the last report", interval: time.Minute, silentAt: 5*minute + 1,
			feed: func(d *silent.Detector) {
				d.Seen(1, 2*minute)
				d.Register(silent.Stream{ID: 1, Unit: "310101", Interval: time.Minute})
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := newDetector(t, silent.Config{})
			d.Register(silent.Stream{ID: 1, Unit: "310101", Interval: tc.interval})
			d.Scan(0)
			if tc.feed != nil {
				tc.feed(d)
			}
			if got := d.Scan(tc.silentAt - 1); len(got) != 0 {
				t.Fatalf("silent too early: %q", describeAll(got))
			}
			if got := describeAll(d.Scan(tc.silentAt)); !slices.Equal(got, []string{"310101 stream/1 1"}) {
				t.Fatalf("at %d: %q", tc.silentAt, got)
			}
		})
	}
}

func TestInvalidConfig(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		cfg   silent.Config
		field string
	}{
		{name: "negative K", cfg: silent.Config{K: -1}, field: "K"},
		{name: "negative MinInterval", cfg: silent.Config{MinInterval: -time.Second}, field: "MinInterval"},
		{name: "negative GroupMin", cfg: silent.Config{GroupMin: -2}, field: "GroupMin"},
		{name: "shares out of order", cfg: silent.Config{Shares: [3]float64{0.5, 0.2, 0.8}}, field: "Shares[1]"},
		{name: "share above one", cfg: silent.Config{Shares: [3]float64{0.2, 0.5, 1.5}}, field: "Shares[2]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := silent.New(tc.cfg)
			var merr *model.Error
			if !errors.As(err, &merr) || merr.Code != model.EINVALID || !strings.Contains(merr.Message, tc.field) {
				t.Fatalf("error %v, want EINVALID naming %s", err, tc.field)
			}
		})
	}
}

// TestConcurrentUse runs Seen, Register and Forget against Scan; -race
// checks the locking, the final Scan the outcome.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	d := newDetector(t, silent.Config{})
	register(d, "310101", 0, 1000, time.Minute)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 20_000 {
				id := int64((i*7 + w) % 1000)
				d.Seen(id, int64(i))
				if i%1000 == 0 {
					d.Forget(id)
					d.Register(silent.Stream{ID: id, Unit: "310101", Interval: time.Minute})
				}
			}
		})
	}
	for now := int64(0); now < 20_000; now += 1000 {
		d.Scan(now)
	}
	wg.Wait()
	got := d.Scan(20_000 + 3*minute + 1)
	if want := []string{"310101 group 4"}; !slices.Equal(describeAll(got), want) || got[0].Evidence["silent"] != 1000 {
		t.Fatalf("findings %q, evidence %v", describeAll(got), got)
	}
}
