package cluster_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"cityvitals/alert"
	"cityvitals/detect/cluster"
	"cityvitals/model"
)

func TestThreeAdjacentManholesRaiseOneBoostedAlert(t *testing.T) {
	d := newDetector(t)
	observe(t, d,
		gasAlarm("stream:1", 0, t0, 2),
		gasAlarm("stream:2", 80, t0+5*minute, 2),
		gasAlarm("stream:3", 160, t0+10*minute, 1),
	)
	if got := d.Drain(); len(got) != 0 {
		t.Fatalf("findings before the clock moved past the third signal: %s", briefs(got))
	}
	d.Advance(t0 + 10*minute)
	got := d.Drain()
	if len(got) != 1 {
		t.Fatalf("findings = %s, want one", briefs(got))
	}
	f := got[0]
	wantLabels := map[string]string{"kind": "gas_leak", "unit": pudong, "cluster": "gas_leak:stream:1@1750000000000", "domain": "gas"}
	if f.Rule != cluster.Rule || !reflect.DeepEqual(f.Labels, wantLabels) {
		t.Errorf("rule %q labels %v, want %q %v", f.Rule, f.Labels, cluster.Rule, wantLabels)
	}
	if f.Level != 3 || f.At != t0+10*minute {
		t.Errorf("level %d at %d, want 3 (yellow members + 1) at %d", f.Level, f.At, t0+10*minute)
	}
	ev := f.Evidence
	if ev["count"] != 3 || !slices.Equal(ev["members"].([]string), []string{"stream:1", "stream:2", "stream:3"}) ||
		ev["first_at"] != t0 || ev["last_at"] != t0+10*minute || ev["radius_m"] != 200.0 || ev["window"] != "30m0s" {
		t.Errorf("evidence %v", ev)
	}
	if lon, _ := place(80, 0); ev["lon"].(float64)-lon > 1e-6 || lon-ev["lon"].(float64) > 1e-6 {
		t.Errorf("centroid lon %v, want %v", ev["lon"], lon)
	}
	const zh = "浦东新区 200 米内 3 个监测点 30 分钟内相继报警，疑似燃气泄漏"
	const en = "Pudong: 3 sensors alarmed within 200 m in 30 min — suspected gas leak"
	if f.SummaryZH != zh || f.SummaryEN != en {
		t.Errorf("summaries\n got %q\n     %q\nwant %q\n     %q", f.SummaryZH, f.SummaryEN, zh, en)
	}
}

func TestSignalsThatDoNotCorrelateRaiseNothing(t *testing.T) {
	lonFire, latFire := place(50, 0)
	tests := []struct {
		name    string
		signals []cluster.Signal
	}{
		{"two adjacent manholes", []cluster.Signal{
			gasAlarm("stream:1", 0, t0, 2), gasAlarm("stream:2", 100, t0, 2),
		}},
		{"three manholes 500 m apart", []cluster.Signal{
			gasAlarm("stream:1", 0, t0, 2), gasAlarm("stream:2", 500, t0, 2), gasAlarm("stream:3", 1000, t0, 2),
		}},
		{"a chain with links longer than the radius", []cluster.Signal{
			gasAlarm("stream:1", 0, t0, 2), gasAlarm("stream:2", 210, t0, 2), gasAlarm("stream:3", 420, t0, 2),
		}},
		{"one sensor counted once for two alarms", []cluster.Signal{
			gasAlarm("stream:1", 0, t0, 2), gasAlarm("stream:2", 100, t0, 2),
			func() cluster.Signal { s := gasAlarm("stream:2", 100, t0, 3); s.Source = "anomaly"; return s }(),
		}},
		{"reports further apart in time than the window", []cluster.Signal{
			report("1", "waterlogging", pudong, 0, 0, t0),
			report("2", "waterlogging", pudong, 100, 0, t0+40*minute),
			report("3", "waterlogging", pudong, 200, 0, t0+100*minute),
		}},
		{"an alarm that ended more than a window before the others", []cluster.Signal{
			gasAlarm("stream:1", 0, t0, 2),
			ended(gasAlarm("stream:1", 0, t0, 2), t0+minute),
			gasAlarm("stream:2", 50, t0+31*minute, 2),
			gasAlarm("stream:3", 100, t0+32*minute, 2),
		}},
		{"different kinds side by side", []cluster.Signal{
			gasAlarm("stream:1", 0, t0, 2), gasAlarm("stream:2", 50, t0, 2),
			{Key: "stream:3", Kind: "fire", Lon: lonFire, Lat: latFire, At: t0, Level: 2, Active: true},
		}},
		{"same unit does not count for gas", []cluster.Signal{
			gasAlarm("stream:1", 0, t0, 2), gasAlarm("stream:2", 1000, t0, 2), gasAlarm("stream:3", 2000, t0, 2),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDetector(t)
			observe(t, d, tt.signals...)
			d.Advance(t0 + 3*time.Hour.Milliseconds())
			if got := d.Drain(); len(got) != 0 {
				t.Errorf("findings %s, want none", briefs(got))
			}
		})
	}
}

func TestSensorCountsWhileInAlarmAndAWindowAfter(t *testing.T) {
	d := newDetector(t)
	a := gasAlarm("stream:1", 0, t0, 1)
	observe(t, d, a, gasAlarm("stream:2", 100, t0, 1), gasAlarm("stream:3", 200, t0, 1))
	d.Advance(t0 + 2*time.Hour.Milliseconds())
	fired := d.Drain()
	if len(fired) != 1 || fired[0].Level != 2 {
		t.Fatalf("findings %s, want one firing at level 2 that lasts past the window", briefs(fired))
	}
	end := t0 + 2*time.Hour.Milliseconds()
	observe(t, d, ended(a, end))
	d.Advance(end + 30*minute - 1)
	if got := d.Drain(); len(got) != 0 {
		t.Fatalf("findings %s within the window after stream:1 ended, want none", briefs(got))
	}
	d.Advance(end + 30*minute)
	got := d.Drain()
	if len(got) != 1 || got[0].Level != 0 || got[0].At != end+30*minute || got[0].Evidence["count"] != 2 {
		t.Fatalf("findings %s, want one clear of 2 left at +150min", briefs(got))
	}
	if fingerprint(got[0]) != fingerprint(fired[0]) {
		t.Errorf("clear has fingerprint %s, firing had %s", fingerprint(got[0]), fingerprint(fired[0]))
	}
	if !strings.Contains(got[0].SummaryZH, "已解除") || !strings.Contains(got[0].SummaryEN, "over (2 signals left)") {
		t.Errorf("clear summaries %q / %q", got[0].SummaryZH, got[0].SummaryEN)
	}
}

func TestReportsExpireAndClear(t *testing.T) {
	d := newDetector(t)
	observe(t, d,
		report("1", "waterlogging", pudong, 0, 0, t0),
		report("2", "waterlogging", pudong, 300, 0, t0+10*minute),
		report("3", "waterlogging", pudong, 300, 300, t0+20*minute),
	)
	d.Advance(t0 + 20*minute)
	fired := d.Drain()
	if len(fired) != 1 || fired[0].Level != 2 || fired[0].Evidence["reports"] != 3 {
		t.Fatalf("findings %s, want one firing of 3 reports at level 2", briefs(fired))
	}
	if want := "浦东新区 500 米内 60 分钟内收到 3 条市民报告，疑似道路积水"; fired[0].SummaryZH != want {
		t.Errorf("summary %q, want %q", fired[0].SummaryZH, want)
	}
	d.Advance(t0 + 60*minute)
	got := d.Drain()
	if len(got) != 1 || got[0].Level != 0 || got[0].At != t0+60*minute || fingerprint(got[0]) != fingerprint(fired[0]) {
		t.Fatalf("findings %s, want the firing cluster cleared at +60min", briefs(got))
	}
	if s := d.Stats(); s.Members != 2 || s.Firing != 0 {
		t.Errorf("stats %+v, want 2 members, none firing", s)
	}
	d.Advance(t0 + 80*minute)
	if s := d.Stats(); s.Members != 0 {
		t.Errorf("stats %+v after every window ended, want no members", s)
	}
}

func TestWithdrawnReportLeavesAtOnce(t *testing.T) {
	d := newDetector(t)
	r := report("1", "waterlogging", pudong, 0, 0, t0)
	observe(t, d, r, report("2", "waterlogging", pudong, 100, 0, t0), report("3", "waterlogging", pudong, 200, 0, t0))
	d.Advance(t0)
	if got := d.Drain(); len(got) != 1 || got[0].Level != 2 {
		t.Fatalf("findings %s, want one firing", briefs(got))
	}
	observe(t, d, ended(r, t0+minute))
	d.Advance(t0 + 2*minute)
	if got := d.Drain(); len(got) != 1 || got[0].Level != 0 || got[0].At != t0+minute {
		t.Fatalf("findings %s, want a clear at +1min", briefs(got))
	}
}

func TestMergeKeepsTheOlderIdentity(t *testing.T) {
	d := newDetector(t)
	observe(t, d, gasAlarm("stream:a1", 0, t0, 1), gasAlarm("stream:a2", 100, t0, 1), gasAlarm("stream:a3", 200, t0, 1))
	d.Advance(t0)
	older := d.Drain()
	observe(t, d, gasAlarm("stream:b1", 560, t0+5*minute, 1), gasAlarm("stream:b2", 660, t0+5*minute, 1), gasAlarm("stream:b3", 760, t0+5*minute, 1))
	d.Advance(t0 + 5*minute)
	younger := d.Drain()
	if len(older) != 1 || len(younger) != 1 {
		t.Fatalf("findings %s then %s, want one cluster each", briefs(older), briefs(younger))
	}
	observe(t, d, gasAlarm("stream:bridge", 380, t0+10*minute, 3))
	d.Advance(t0 + 10*minute)
	got := d.Drain()
	want := "gas_leak:stream:a1@1750000000000 L4 n=7 @+10min; gas_leak:stream:b1@1750000300000 L0 n=<nil> @+10min"
	if briefs(got) != want {
		t.Fatalf("findings\n got %s\nwant %s", briefs(got), want)
	}
	if fingerprint(got[0]) != fingerprint(older[0]) || fingerprint(got[1]) != fingerprint(younger[0]) {
		t.Errorf("fingerprints changed in the merge")
	}
	if got[1].Evidence["merged_into"] != older[0].Labels["cluster"] {
		t.Errorf("merged clear evidence %v, want merged_into %s", got[1].Evidence, older[0].Labels["cluster"])
	}
	if c := d.Clusters(); len(c) != 1 || len(c[0].Members) != 7 || c[0].ID != older[0].Labels["cluster"] {
		t.Errorf("clusters %+v, want the older one with 7 members", c)
	}
}

func TestSplitKeepsTheNamesakePart(t *testing.T) {
	d := newDetector(t)
	observe(t, d,
		gasAlarm("stream:a1", 0, t0, 1), gasAlarm("stream:a2", 100, t0+minute, 1), gasAlarm("stream:a3", 200, t0+minute, 1),
		report("bridge", "gas_leak", pudong, 380, 0, t0+2*minute),
		gasAlarm("stream:b1", 560, t0+3*minute, 1), gasAlarm("stream:b2", 660, t0+3*minute, 1), gasAlarm("stream:b3", 760, t0+3*minute, 1))
	d.Advance(t0 + 3*minute)
	first := d.Drain()
	const grown = "gas_leak:stream:a1@1750000000000 L2 n=3 @+1min; " +
		"gas_leak:stream:a1@1750000000000 L2 n=4 @+2min; " +
		"gas_leak:stream:a1@1750000000000 L2 n=7 @+3min"
	if briefs(first) != grown {
		t.Fatalf("findings\n got %s\nwant %s", briefs(first), grown)
	}
	first = first[2:]
	if first[0].Evidence["sensors"] != 6 || first[0].Evidence["reports"] != 1 {
		t.Errorf("evidence %v, want 6 sensors and 1 report", first[0].Evidence)
	}
	d.Advance(t0 + 40*minute)
	got := d.Drain()
	want := "gas_leak:stream:a1@1750000000000 L2 n=3 @+32min; gas_leak:stream:b1@1750000180000 L2 n=3 @+32min"
	if briefs(got) != want {
		t.Fatalf("after the bridge expired:\n got %s\nwant %s", briefs(got), want)
	}
	if fingerprint(got[0]) != fingerprint(first[0]) {
		t.Errorf("the namesake part changed fingerprint")
	}
}

func TestSameUnitLinksDistantReports(t *testing.T) {
	const grid = "310115001001"
	signals := []cluster.Signal{
		report("1", "waterlogging", grid, 0, 0, t0),
		report("2", "waterlogging", grid, 1000, 0, t0+minute),
		report("3", "waterlogging", grid, 2000, 0, t0+2*minute),
	}
	d := newDetector(t)
	observe(t, d, signals...)
	d.Advance(t0 + 2*minute)
	got := d.Drain()
	if len(got) != 1 || got[0].Labels["unit"] != grid {
		t.Fatalf("findings %s, want one cluster in unit %s", briefs(got), grid)
	}
	if !strings.Contains(got[0].SummaryZH, " 1 公里内") || !strings.Contains(got[0].SummaryEN, "within 1 km") {
		t.Errorf("summaries %q / %q should give the 1 km spread, not the 500 m radius", got[0].SummaryZH, got[0].SummaryEN)
	}

	notByUnit := cluster.DefaultPatterns()[1]
	notByUnit.SameUnit = false
	d = newDetector(t, notByUnit)
	observe(t, d, signals...)
	d.Advance(t0 + 2*minute)
	if got := d.Drain(); len(got) != 0 {
		t.Errorf("without SameUnit: findings %s, want none", briefs(got))
	}

	d = newDetector(t)
	for _, s := range signals {
		s.Unit = ""
		observe(t, d, s)
	}
	d.Advance(t0 + 2*minute)
	if got := d.Drain(); len(got) != 0 {
		t.Errorf("unknown units: findings %s, want none", briefs(got))
	}
}

func TestFingerprintStableAsMembersJoinAndLevelsRise(t *testing.T) {
	d := newDetector(t)
	observe(t, d, gasAlarm("stream:1", 0, t0, 1), gasAlarm("stream:2", 100, t0, 1), gasAlarm("stream:3", 150, t0, 1))
	d.Advance(t0)
	observe(t, d, gasAlarm("stream:4", 50, t0+minute, 1))
	d.Advance(t0 + minute)
	observe(t, d, gasAlarm("stream:2", 100, t0+2*minute, 3))
	d.Advance(t0 + 2*minute)
	observe(t, d, gasAlarm("stream:4", 50, t0+3*minute, 4))
	d.Advance(t0 + 3*minute)
	got := d.Drain()
	// The last change leaves the cluster at red with four members: no
	// finding, nothing visible changed.
	want := "gas_leak:stream:1@1750000000000 L2 n=3 @+0min; " +
		"gas_leak:stream:1@1750000000000 L2 n=4 @+1min; " +
		"gas_leak:stream:1@1750000000000 L4 n=4 @+2min"
	if briefs(got) != want {
		t.Fatalf("findings\n got %s\nwant %s", briefs(got), want)
	}
	for _, f := range got[1:] {
		if fingerprint(f) != fingerprint(got[0]) {
			t.Errorf("fingerprint changed: %s", brief(f))
		}
	}
}

func TestOneKeyWithTwoSourcesStaysWhileEither(t *testing.T) {
	d := newDetector(t)
	threshold := gasAlarm("stream:1", 0, t0, 2)
	threshold.Source = "threshold"
	anomaly := threshold
	anomaly.Source = "anomaly"
	observe(t, d, threshold, anomaly, gasAlarm("stream:2", 100, t0, 1), gasAlarm("stream:3", 200, t0, 1))
	observe(t, d, ended(anomaly, t0+minute))
	d.Advance(t0 + 2*time.Hour.Milliseconds())
	if got := briefs(d.Drain()); got != "gas_leak:stream:1@1750000000000 L3 n=3 @+0min" {
		t.Fatalf("findings %s, want one firing that outlives the anomaly's end", got)
	}
	observe(t, d, ended(threshold, t0+2*time.Hour.Milliseconds()))
	d.Advance(t0 + 3*time.Hour.Milliseconds())
	if got := d.Drain(); len(got) != 1 || got[0].Level != 0 {
		t.Fatalf("findings %s, want a clear once both sources ended and the window passed", briefs(got))
	}
}

// TestSameTimeSignalsInAnyOrder: signals with one event time, in any
// order, and Drain called at any point, give the same findings.
func TestSameTimeSignalsInAnyOrder(t *testing.T) {
	batches := [][]cluster.Signal{
		{ // two clusters of three, a pair, and a loner
			gasAlarm("stream:a1", 0, t0, 1), gasAlarm("stream:a2", 120, t0, 2), gasAlarm("stream:a3", 240, t0, 1),
			gasAlarm("stream:b1", 600, t0, 1), gasAlarm("stream:b2", 700, t0, 1), gasAlarm("stream:b3", 800, t0, 3),
			gasAlarm("stream:c1", 2000, t0, 1), gasAlarm("stream:c2", 2100, t0, 1),
			gasAlarm("stream:d1", 5000, t0, 1),
			report("1", "waterlogging", "g1", 0, 0, t0), report("2", "waterlogging", "g1", 2000, 0, t0),
			report("3", "waterlogging", "g2", 400, 300, t0),
		},
		{ // a bridge merges a and b, c gets its third, a loner's alarm ends
			gasAlarm("stream:ab", 420, t0+10*minute, 1), gasAlarm("stream:c3", 2200, t0+10*minute, 2),
			ended(gasAlarm("stream:d1", 5000, t0, 1), t0+10*minute),
			report("4", "waterlogging", "g2", 800, 300, t0+10*minute),
		},
		{ // the bridge's alarm ends; a's first and b's last end
			ended(gasAlarm("stream:ab", 420, t0, 1), t0+20*minute),
			ended(gasAlarm("stream:a1", 0, t0, 1), t0+20*minute),
			ended(gasAlarm("stream:b3", 800, t0, 1), t0+20*minute),
		},
	}
	run := func(rng *rand.Rand) []alert.Finding {
		d := newDetector(t)
		var all []alert.Finding
		for i, batch := range batches {
			batch = slices.Clone(batch)
			rng.Shuffle(len(batch), func(i, j int) { batch[i], batch[j] = batch[j], batch[i] })
			for j, s := range batch {
				observe(t, d, s)
				if rng.IntN(3) == 0 || j == len(batch)-1 {
					all = append(all, d.Drain()...)
				}
			}
			d.Advance(batch[0].At + int64(i))
		}
		d.Advance(t0 + 3*time.Hour.Milliseconds())
		return append(all, d.Drain()...)
	}
	want := run(rand.New(rand.NewPCG(0, 0)))
	if len(want) < 6 {
		t.Fatalf("scenario produced only %s", briefs(want))
	}
	for seed := range uint64(200) {
		if got := run(rand.New(rand.NewPCG(seed, 1))); !reflect.DeepEqual(got, want) {
			t.Fatalf("seed %d:\n got %s\nwant %s", seed, briefs(got), briefs(want))
		}
	}
}

func TestLevelIsCappedAtRed(t *testing.T) {
	p := cluster.DefaultPatterns()[0]
	p.Boost = 3
	d := newDetector(t, p)
	observe(t, d, gasAlarm("stream:1", 0, t0, 4), gasAlarm("stream:2", 10, t0, 2), gasAlarm("stream:3", 20, t0, 1))
	d.Advance(t0)
	if got := d.Drain(); len(got) != 1 || got[0].Level != 4 {
		t.Fatalf("findings %s, want one at level 4", briefs(got))
	}
}

func TestLateReportIsIgnoredAndCounted(t *testing.T) {
	d := newDetector(t)
	d.Advance(t0 + 2*time.Hour.Milliseconds())
	observe(t, d, report("1", "waterlogging", pudong, 0, 0, t0))
	observe(t, d, report("2", "waterlogging", pudong, 0, 0, t0+90*minute)) // late but still live
	if s := d.Stats(); s.Late != 1 || s.Members != 1 {
		t.Errorf("stats %+v, want 1 late and 1 member", s)
	}
}

func TestObserveRejectsBadSignals(t *testing.T) {
	good := gasAlarm("stream:1", 0, t0, 2)
	tests := []struct {
		name   string
		change func(*cluster.Signal)
		want   string
	}{
		{"empty key", func(s *cluster.Signal) { s.Key = "" }, "Key must be"},
		{"key with NUL", func(s *cluster.Signal) { s.Key = "stream:1\x00unit" }, "Key must be"},
		{"key with newline", func(s *cluster.Signal) { s.Key = "stream:1\nforged" }, "Key must be"},
		{"key not UTF-8", func(s *cluster.Signal) { s.Key = "stream:\xff" }, "Key must be"},
		{"huge key", func(s *cluster.Signal) { s.Key = strings.Repeat("键", 200) }, "Key must be 1–256 bytes"},
		{"source with control", func(s *cluster.Signal) { s.Source = "\x1b[31m" }, "Source must be"},
		{"huge unit", func(s *cluster.Signal) { s.Unit = strings.Repeat("3", 129) }, "Unit must be"},
		{"NaN longitude", func(s *cluster.Signal) { s.Lon = nan() }, "Lon is NaN"},
		{"longitude 181", func(s *cluster.Signal) { s.Lon = 181 }, "Lon is 181"},
		{"latitude 86", func(s *cluster.Signal) { s.Lat = 86 }, "Lat is 86"},
		{"no position", func(s *cluster.Signal) { s.Lon, s.Lat = 0, 0 }, "has no position"},
		{"negative time", func(s *cluster.Signal) { s.At = -1 }, "At is -1"},
		{"active at level 0", func(s *cluster.Signal) { s.Level = 0 }, "Level is 0"},
		{"active at level 5", func(s *cluster.Signal) { s.Level = 5 }, "Level is 5"},
		{"unknown kind", func(s *cluster.Signal) { s.Kind = "earthquake" }, `kind "earthquake" has no pattern`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDetector(t)
			s := good
			tt.change(&s)
			err := d.Observe(s)
			if model.ErrorCode(err) != model.EINVALID || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Observe: %v, want EINVALID containing %q", err, tt.want)
			}
			if st := d.Stats(); st.Members != 0 {
				t.Errorf("a refused signal became a member")
			}
		})
	}
	t.Run("report and sensor under one key", func(t *testing.T) {
		d := newDetector(t)
		observe(t, d, good)
		r := good
		r.Report = true
		err := d.Observe(r)
		if model.ErrorCode(err) != model.EINVALID || !strings.Contains(err.Error(), "live as a sensor") {
			t.Fatalf("Observe: %v, want EINVALID about the key being a sensor", err)
		}
	})
	t.Run("an end of an unknown alarm is ignored", func(t *testing.T) {
		d := newDetector(t)
		observe(t, d, ended(good, t0))
		if st := d.Stats(); st.Members != 0 {
			t.Errorf("stats %+v, want no members", st)
		}
	})
}

func nan() float64 { var zero float64; return zero / zero }

func TestNewRejectsBadPatterns(t *testing.T) {
	tests := []struct {
		name   string
		change func(*cluster.Pattern)
		want   string
	}{
		{"empty kind", func(p *cluster.Pattern) { p.Kind = "" }, "Kind is not"},
		{"kind with spaces", func(p *cluster.Pattern) { p.Kind = "Gas Leak" }, "Kind is not"},
		{"domain with upper case", func(p *cluster.Pattern) { p.Domain = "Gas" }, `Domain "Gas"`},
		{"no English name", func(p *cluster.Pattern) { p.NameEN = "" }, "NameZH/NameEN must both be set"},
		{"zero radius", func(p *cluster.Pattern) { p.RadiusM = 0 }, "RadiusM is 0"},
		{"NaN radius", func(p *cluster.Pattern) { p.RadiusM = nan() }, "RadiusM is NaN"},
		{"radius of 100 km", func(p *cluster.Pattern) { p.RadiusM = 100_000 }, "RadiusM is 100000"},
		{"zero window", func(p *cluster.Pattern) { p.Window = 0 }, "Window is 0s"},
		{"window of 8 days", func(p *cluster.Pattern) { p.Window = 8 * 24 * time.Hour }, "Window is 192h0m0s"},
		{"one key is enough", func(p *cluster.Pattern) { p.MinKeys = 1 }, "MinKeys is 1"},
		{"negative boost", func(p *cluster.Pattern) { p.Boost = -1 }, "Boost is -1"},
		{"boost past red", func(p *cluster.Pattern) { p.Boost = 4 }, "Boost is 4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			patterns := cluster.DefaultPatterns()
			tt.change(&patterns[2])
			_, err := cluster.New(patterns, nil)
			if model.ErrorCode(err) != model.EINVALID || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "cluster pattern 2") {
				t.Fatalf("New: %v, want EINVALID about pattern 2 containing %q", err, tt.want)
			}
		})
	}
	dup := cluster.DefaultPatterns()
	dup[3].Kind = dup[0].Kind
	if _, err := cluster.New(dup, nil); model.ErrorCode(err) != model.EINVALID || !strings.Contains(err.Error(), `kind "gas_leak" is already defined`) {
		t.Errorf("duplicate kind: %v", err)
	}
	if _, err := cluster.New(nil, nil); model.ErrorCode(err) != model.EINVALID {
		t.Errorf("no patterns: %v", err)
	}
}

func TestFromFinding(t *testing.T) {
	lon, lat := place(0, 0)
	th := alert.Finding{Rule: "threshold", Labels: map[string]string{"unit": pudong, "stream": "42", "property": "gas_lel"}, Level: 3, At: t0}
	an := alert.Finding{Rule: "anomaly", Labels: map[string]string{"unit": pudong, "stream": "42", "property": "gas_lel"}, Level: 1, At: t0}
	s1, s2 := cluster.FromFinding(th, "gas_leak", lon, lat), cluster.FromFinding(an, "gas_leak", lon, lat)
	if s1.Key != "stream:42" || s2.Key != "stream:42" || s1.Source == s2.Source || !s1.Active || s1.Level != 3 || s1.Unit != pudong || s1.At != t0 {
		t.Errorf("signals %+v and %+v, want key stream:42 with two sources", s1, s2)
	}
	th.Level, th.At = 0, t0+minute
	if s := cluster.FromFinding(th, "gas_leak", lon, lat); s.Active || s.Source != s1.Source || s.At != t0+minute {
		t.Errorf("cleared finding gave %+v, want the same source ended", s)
	}
	asset := alert.Finding{Rule: "threshold", Labels: map[string]string{"asset": "MH-7"}, Level: 9}
	if s := cluster.FromFinding(asset, "gas_leak", lon, lat); s.Key != "asset:MH-7" || s.Level != 4 {
		t.Errorf("asset finding gave %+v, want key asset:MH-7 at level 4", s)
	}
	unitOnly := alert.Finding{Rule: "threshold", Labels: map[string]string{"unit": pudong, "indicator": "gas_lel_max"}, Level: 2}
	if s := cluster.FromFinding(unitOnly, "gas_leak", lon, lat); s.Key != "alert:"+alert.Fingerprint("threshold", unitOnly.Labels) {
		t.Errorf("unit finding gave key %q, want the finding's fingerprint", s.Key)
	}

	d := newDetector(t)
	th.Level, th.At = 3, t0
	observe(t, d, s1, s2, gasAlarm("stream:2", 100, t0, 1))
	d.Advance(t0)
	if got := d.Drain(); len(got) != 0 {
		t.Errorf("two findings of one stream and one other stream: %s, want none", briefs(got))
	}
}

func TestConcurrentUse(t *testing.T) {
	d := newDetector(t)
	const areas = 4
	var wg sync.WaitGroup
	for a := range areas {
		wg.Go(func() {
			for i := range 3 {
				s := gasAlarm("stream:"+string(rune('a'+a))+string(rune('0'+i)), float64(a*5000+i*50), t0+int64(i)*minute, 1)
				if err := d.Observe(s); err != nil {
					t.Error(err)
				}
				d.Advance(t0 + int64(i)*minute)
				d.Drain()
				d.Clusters()
				d.Stats()
			}
		})
	}
	wg.Wait()
	d.Advance(t0 + 5*minute)
	if c := d.Clusters(); len(c) != areas {
		t.Fatalf("clusters %+v, want one per area", c)
	}
	if s := d.Stats(); s.Members != 3*areas || s.Firing != areas {
		t.Errorf("stats %+v", s)
	}
}

func TestMovedNamesakeLeavesTheNameToTheLargestPart(t *testing.T) {
	d := newDetector(t)
	observe(t, d, gasAlarm("stream:1", 0, t0, 1), gasAlarm("stream:2", 50, t0, 1),
		gasAlarm("stream:3", 100, t0, 1), gasAlarm("stream:4", 150, t0, 1))
	d.Advance(t0)
	first := d.Drain()
	observe(t, d, gasAlarm("stream:1", 5000, t0+minute, 1)) // re-sited far away
	d.Advance(t0 + minute)
	got := d.Drain()
	if briefs(got) != "gas_leak:stream:1@1750000000000 L2 n=3 @+1min" || fingerprint(got[0]) != fingerprint(first[0]) {
		t.Fatalf("findings %s, want the cluster of the three left, under its old name", briefs(got))
	}
	observe(t, d, gasAlarm("stream:5", 5050, t0+2*minute, 1), gasAlarm("stream:6", 5100, t0+2*minute, 1))
	d.Advance(t0 + 2*minute)
	if got := briefs(d.Drain()); got != "gas_leak:stream:1@1750000060000 L2 n=3 @+2min" {
		t.Fatalf("findings %s, want a new cluster named after stream:1's new membership", got)
	}
	d.CheckInvariants(t, "after the move")
}

func TestLargeClusterIsReportedAsItGrowsByAQuarter(t *testing.T) {
	d := newDetector(t)
	var counts []any
	for i := range 20 {
		observe(t, d, gasAlarm(fmt.Sprintf("stream:%02d", i), float64(i), t0+int64(i)*minute, 1))
		d.Advance(t0 + int64(i)*minute)
		for _, f := range d.Drain() {
			counts = append(counts, f.Evidence["count"])
		}
	}
	want := []any{3, 4, 5, 6, 7, 8, 10, 12, 15, 18}
	if !reflect.DeepEqual(counts, want) {
		t.Errorf("findings at counts %v, want %v", counts, want)
	}
}
