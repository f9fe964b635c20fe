package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"

	"cityvitals/notify/webhook"
)

const stormSecret = "storm-receiver-secret"

// TestKillNineMidAlertStormLosesNoNotification runs the real binary with a
// webhook and raises a storm of red gas alerts (one per grid cell of a
// district, each its own notification group), then clears them all. In
// each storm it kills the server with SIGKILL while the slow receiver is
// part-way through the notifications, and restarts it on the same data
// directory. The receiver, which checks every signature, must in the end
// have been told of every firing alert and of the end of every alert it
// was told of. A notification may arrive twice only as a resend of one
// whose delivery the dying server could not record (the one in flight at
// a kill; at most one more per kill), with the same idempotency key and
// body, so the receiver can drop it.
func TestKillNineMidAlertStormLosesNoNotification(t *testing.T) {
	t.Parallel() // mostly waits on its slow receiver
	bin := buildBinary(t)
	dir := t.TempDir()
	admin, device := prepareStormCity(t, bin, dir)
	rcv := newStormReceiver(t)
	env := []string{"CITYVITALS_WEBHOOK_SECRET_OPS=" + stormSecret}
	flags := []string{"--webhook", "ops=" + rcv.URL, "--alert-group-wait", "200ms"}
	srv := startServerWith(t, bin, dir, env, flags...)
	cells := stormCells(t, srv.url, admin)
	streams := gasDetectors(t, srv.url, admin, cells)
	now := time.Now().Truncate(time.Minute)

	// The gas storm: red %LEL in every cell 20 minutes ago; a reading 4
	// minutes later moves the engine's event time past it.
	report(t, srv.url, device, streams, now.Add(-20*time.Minute), 70, now.Add(-16*time.Minute))
	srv, inFlightAtFirstKill := killAndRestart(t, srv, rcv, bin, dir, env, flags, func() int { return len(rcv.firingTold()) })
	told := waitFor(t, 90*time.Second, func() (string, bool) {
		missing, total := rcv.missingFiring(firingAlerts(t, srv.url, admin))
		return fmt.Sprintf("%d of %d firing alerts never notified: %v", len(missing), total, missing), total >= len(cells) && len(missing) == 0
	})
	t.Logf("gas storm: %s", told)

	// The all-clear: every detector reads 1 %LEL 3 minutes ago, outside the
	// 10-minute window of the red reading.
	report(t, srv.url, device, streams, now.Add(-3*time.Minute), 1, now.Add(-30*time.Second))
	srv, inFlightAtSecondKill := killAndRestart(t, srv, rcv, bin, dir, env, flags, func() int { return len(rcv.resolvedTold()) })
	cleared := waitFor(t, 90*time.Second, func() (string, bool) {
		firing, resolved := rcv.firingTold(), rcv.resolvedTold()
		var open []string
		for fp := range firing {
			if !resolved[fp] {
				open = append(open, fp)
			}
		}
		return fmt.Sprintf("%d of %d alerts told of never told resolved: %v", len(open), len(firing), open), len(open) == 0
	})
	t.Logf("all-clear: %s", cleared)
	time.Sleep(time.Second) // a late resend would show as a duplicate
	rcv.checkOnceExcept(t, []string{inFlightAtFirstKill, inFlightAtSecondKill})
}

// killAndRestart waits until progress (alerts told of so far) reaches 5,
// kills the server, checks that the storm was not over, and starts the
// server again on the same data directory. It returns the new server and
// the key of the notification that may have been in flight at the kill.
func killAndRestart(t *testing.T, srv *server, rcv *stormReceiver, bin, dir string, env, flags []string, progress func() int) (*server, string) {
	t.Helper()
	waitFor(t, 60*time.Second, func() (string, bool) {
		n := progress()
		return fmt.Sprintf("%d alerts told of", n), n >= 5
	})
	srv.kill(t)
	inFlight, told := rcv.last(), progress()
	restarted := startServerWith(t, bin, dir, env, flags...)
	waitFor(t, 60*time.Second, func() (string, bool) {
		n := progress()
		return fmt.Sprintf("%d alerts told of, %d before the kill", n, told), n > told
	})
	return restarted, inFlight
}

// prepareStormCity imports Shanghai's districts, covers Huangpu (310101)
// with 1 km cells and issues an admin API token and a device token.
func prepareStormCity(t *testing.T, bin, dir string) (admin, device string) {
	t.Helper()
	run := func(args ...string) string {
		out, err := exec.Command(bin, append(args, "--data-dir", dir)...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run("import", "units", "--level", "district", "--create-parents",
		"../../../shared/data/shanghai/shanghai_districts_detailed_wgs84_derived.geojson")
	run("import", "grid", "--under", "310101", "--cell-m", "1000")
	run("user", "add", "--role", "admin", "--generate", "storm-admin")
	secret := func(out string) string {
		_, s, ok := strings.Cut(strings.TrimSpace(out), ": ")
		if !ok {
			t.Fatalf("token add printed %q", out)
		}
		return s
	}
	return secret(run("token", "add", "--user", "storm-admin")), secret(run("token", "add", "--device", "storm-gw"))
}

// stormCell is a grid cell and a point inside it.
type stormCell struct {
	code string
	pt   orb.Point
}

// stormCells lists Huangpu's grid cells, each with a point inside it (a
// cell clipped by the district boundary need not contain its centre).
func stormCells(t *testing.T, base, admin string) []stormCell {
	t.Helper()
	var children struct{ Items []struct{ Code string } }
	call(t, admin, "GET", base+"/api/v1/units/310101/children?limit=1000", "", 200, &children)
	var out []stormCell
	for _, c := range children.Items {
		var one struct {
			Unit struct{ Geometry json.RawMessage }
		}
		call(t, admin, "GET", base+"/api/v1/units/"+c.Code, "", 200, &one)
		g, err := geojson.UnmarshalGeometry(one.Unit.Geometry)
		if err != nil {
			t.Fatalf("cell %s geometry: %v", c.Code, err)
		}
		if pt, ok := pointInside(g.Geometry()); ok {
			out = append(out, stormCell{c.Code, pt})
		}
	}
	if len(out) < 20 {
		t.Fatalf("only %d cells with a point inside of %d: not a storm", len(out), len(children.Items))
	}
	return out
}

// pointInside finds a point of a lattice over the bound that the polygon
// contains.
func pointInside(g orb.Geometry) (orb.Point, bool) {
	b := g.Bound()
	for i := 1; i < 20; i++ {
		for j := 1; j < 20; j++ {
			pt := orb.Point{b.Min[0] + (b.Max[0]-b.Min[0])*float64(i)/20, b.Min[1] + (b.Max[1]-b.Min[1])*float64(j)/20}
			switch p := g.(type) {
			case orb.Polygon:
				if planar.PolygonContains(p, pt) {
					return pt, true
				}
			case orb.MultiPolygon:
				if planar.MultiPolygonContains(p, pt) {
					return pt, true
				}
			}
		}
	}
	return orb.Point{}, false
}

// gasDetectors puts a gas detector in every cell and returns their ids.
func gasDetectors(t *testing.T, base, admin string, cells []stormCell) []int64 {
	t.Helper()
	var streams []string
	for i, c := range cells {
		streams = append(streams, fmt.Sprintf(`{"key":"storm/%d/lel","property":"gas_lel","interval":"1m","location":{"lon":%g,"lat":%g}}`, i, c.pt[0], c.pt[1]))
	}
	var created struct {
		Items []struct {
			ID   int64
			Unit string
		}
	}
	call(t, admin, "POST", base+"/api/v1/datastreams", "["+strings.Join(streams, ",")+"]", 201, &created)
	var ids []int64
	for i, ds := range created.Items {
		if ds.Unit != cells[i].code {
			t.Fatalf("stream %d placed in %q, want %s", i, ds.Unit, cells[i].code)
		}
		ids = append(ids, ds.ID)
	}
	return ids
}

// report sends value from every stream at, and a reading of the same
// value from the first stream at next, so that the engine's event time
// passes at.
func report(t *testing.T, base, device string, streams []int64, at time.Time, value float64, next time.Time) {
	t.Helper()
	var body strings.Builder
	for _, id := range streams {
		fmt.Fprintf(&body, `{"datastream":%d,"time":%d,"value":%g}`+"\n", id, at.UnixMilli(), value)
	}
	fmt.Fprintf(&body, `{"datastream":%d,"time":%d,"value":%g}`+"\n", streams[0], next.UnixMilli(), value)
	call(t, device, "POST", base+"/api/v1/observations", body.String(), 200, nil)
}

// firingAlerts maps the fingerprint of every firing alert that should
// have been notified to its rule and labels (for the failure message).
// Inhibited alerts are left out: a blue or yellow alert of an indicator
// whose parent indicator fires red in the same unit (the default
// inhibition rule, with the parent named by the id's prefix, as in the
// catalog's gas.leak › gas.leak.alarming).
func firingAlerts(t *testing.T, base, admin string) map[string]string {
	t.Helper()
	type firingAlert struct {
		Fingerprint string
		Rule        string
		Level       int
		Labels      map[string]string
	}
	var list struct {
		Items []firingAlert
		Next  string
	}
	call(t, admin, "GET", base+"/api/v1/alerts?state=firing&limit=1000", "", 200, &list)
	if list.Next != "" {
		t.Fatal("more than 1,000 firing alerts: the test expects one page")
	}
	red := map[string]bool{} // unit + " " + indicator
	for _, a := range list.Items {
		if a.Level == 4 {
			red[a.Labels["unit"]+" "+a.Labels["indicator"]] = true
		}
	}
	inhibited := func(a firingAlert) bool {
		parent, _, ok := cutLast(a.Labels["indicator"], ".")
		return ok && a.Level <= 2 && red[a.Labels["unit"]+" "+parent]
	}
	out := map[string]string{}
	for _, a := range list.Items {
		if !inhibited(a) {
			out[a.Fingerprint] = fmt.Sprint(a.Rule, a.Level, a.Labels)
		}
	}
	return out
}

func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}

// stormReceiver is a slow webhook receiver that records every delivery
// in arrival order.
type stormReceiver struct {
	*httptest.Server
	mu        sync.Mutex
	got       []stormDelivery
	badSigned int
	firing    map[string]bool // fingerprints listed as firing
	resolved  map[string]bool // fingerprints listed as resolved
}

type stormDelivery struct {
	key, from string // idempotency key; the sender's address (one per connection)
	at        time.Time
	body      []byte
}

func newStormReceiver(t *testing.T) *stormReceiver {
	r := &stormReceiver{firing: map[string]bool{}, resolved: map[string]bool{}}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func (r *stormReceiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return // the sender died mid-body: not received
	}
	var n struct {
		Firing, Resolved []struct{ Fingerprint string }
	}
	r.mu.Lock()
	if !webhook.Verify(stormSecret, body, req.Header.Get(webhook.SignatureHeader)) || json.Unmarshal(body, &n) != nil {
		r.badSigned++
	}
	r.got = append(r.got, stormDelivery{key: req.Header.Get(webhook.IdempotencyKeyHeader), from: req.RemoteAddr, at: time.Now(), body: body})
	for _, a := range n.Firing {
		r.firing[a.Fingerprint] = true
	}
	for _, a := range n.Resolved {
		r.resolved[a.Fingerprint] = true
	}
	r.mu.Unlock()
	time.Sleep(20 * time.Millisecond) // slow, so that the kill lands mid-storm
	w.WriteHeader(http.StatusNoContent)
}

// firingTold and resolvedTold are the alerts listed as firing, and as
// resolved, so far.
func (r *stormReceiver) firingTold() map[string]bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.firing)
}

func (r *stormReceiver) resolvedTold() map[string]bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.resolved)
}

// last is the key of the newest delivery: the one that may have been in
// flight when the sender died.
func (r *stormReceiver) last() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.got[len(r.got)-1].key
}

// missingFiring returns the alerts never listed as firing in a
// notification, and how many were asked about.
func (r *stormReceiver) missingFiring(alerts map[string]string) ([]string, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for fp, what := range alerts {
		if !r.firing[fp] {
			out = append(out, what)
		}
	}
	slices.Sort(out)
	return out, len(alerts)
}

// checkOnceExcept fails on a bad signature, a delivery without a key, a
// key delivered again with another body (a receiver could not drop it),
// or more resends than the kills explain. Delivery is at least once: a
// message whose delivery the sender could not record before it died is
// sent again under its key. The one in flight at each kill (inFlight) is
// expected; any other resend is logged with its neighbours, and there may
// be at most one more per kill.
func (r *stormReceiver) checkOnceExcept(t *testing.T, inFlight []string) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.badSigned > 0 {
		t.Errorf("%d deliveries with a bad signature or body", r.badSigned)
	}
	expected := map[string]int{}
	for _, k := range inFlight {
		expected[k]++
	}
	first := map[string][]byte{}
	unexplained := 0
	for _, d := range r.got {
		if d.key == "" {
			t.Fatalf("a delivery without an idempotency key: %s", d.body)
		}
		prev, seen := first[d.key]
		switch {
		case !seen:
			first[d.key] = d.body
		case !bytes.Equal(prev, d.body):
			t.Errorf("notification %s was resent with another body:\n%s\n%s", d.key, prev, d.body)
		case expected[d.key] > 0:
			expected[d.key]--
		default:
			unexplained++
			t.Logf("notification %s resent though %v were the ones in flight at the kills; deliveries:\n%s", d.key, inFlight, r.around(d.key))
		}
	}
	if unexplained > len(inFlight) {
		t.Errorf("%d resends beyond the %d in flight at the kills", unexplained, len(inFlight))
	}
	t.Logf("%d deliveries, %d distinct notifications", len(r.got), len(first))
}

// around lists the deliveries near each delivery of key, for a failure
// message. The caller holds r.mu.
func (r *stormReceiver) around(key string) string {
	var b strings.Builder
	for i, d := range r.got {
		if d.key != key {
			continue
		}
		for _, n := range r.got[max(0, i-3):min(len(r.got), i+4)] {
			fmt.Fprintf(&b, "  %s %s %s\n", n.at.Format("15:04:05.000"), n.from, n.key)
		}
		b.WriteString("  --\n")
	}
	return b.String()
}
