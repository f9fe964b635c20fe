package dispatch

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"cityvitals/model"
)

// tracked is a firing alert of a group.
type tracked struct {
	alert model.Alert
	// announced is the level the alert had in the last group notification
	// that listed it; 0 until one did. Repeats wait until the current level
	// has been announced.
	announced int8
	// remindFrom is when the alert was last brought to people's attention
	// at its current level: its announcement or its latest repeat.
	remindFrom time.Time
}

// group is the notification state of one group of alerts. Its methods
// are called with the Dispatcher's mu held.
type group struct {
	key      string
	labels   map[string]string
	firing   map[string]*tracked    // by fingerprint
	resolved map[string]model.Alert // resolved since the last notification, by fingerprint

	changed   bool      // something worth a notification happened since the last one
	nextFlush time.Time // not notified before this
	lastState string    // the firing alerts and levels of the last notification
}

func newGroup(key string, labels map[string]string) *group {
	return &group{key: key, labels: labels, firing: map[string]*tracked{}, resolved: map[string]model.Alert{}}
}

// markChanged schedules a notification. The first change after the group
// was notified waits for the rest of GroupInterval, or for GroupWait when
// the group has been quiet for longer, so that a burst is one message.
func (g *group) markChanged(now time.Time, wait time.Duration) {
	if g.changed {
		return
	}
	g.changed = true
	if next := now.Add(wait); next.After(g.nextFlush) {
		g.nextFlush = next
	}
}

// fire records a firing alert: new, or with a new level or episode.
func (g *group) fire(a model.Alert, now time.Time, wait time.Duration) {
	t := g.firing[a.Fingerprint]
	if t == nil {
		g.firing[a.Fingerprint] = &tracked{alert: a}
		g.markChanged(now, wait)
		return
	}
	news := t.alert.Level != a.Level || t.alert.StartsAt != a.StartsAt
	t.alert = a
	if news {
		g.markChanged(now, wait)
	}
}

// refresh keeps the latest copy of a firing alert (acknowledged or
// assigned); nobody is notified of that.
func (g *group) refresh(a model.Alert) {
	if t := g.firing[a.Fingerprint]; t != nil {
		t.alert = a
	}
}

// resolve moves a firing alert to the resolved ones. One that was never
// announced leaves quietly: nobody was told it fired.
func (g *group) resolve(a model.Alert, now time.Time, wait time.Duration) {
	t := g.firing[a.Fingerprint]
	if t == nil {
		return
	}
	delete(g.firing, a.Fingerprint)
	if t.announced > 0 {
		g.resolved[a.Fingerprint] = a
		g.markChanged(now, wait)
	}
}

// withdraw forgets a muted alert: no listing, no repeat, no resolution.
func (g *group) withdraw(fingerprint string) {
	delete(g.firing, fingerprint)
}

// recall takes, after a restart, what the group's newest notification
// listed as firing: the alerts still firing at the level it gave count as
// announced, and a notification that would list the same is not sent.
func (g *group) recall(told []AlertSummary, now time.Time) {
	var b strings.Builder
	for _, s := range told { // in the order flush sorted them, as firingState wants
		writeState(&b, s.Fingerprint, s.Level)
		if t := g.firing[s.Fingerprint]; t != nil && t.alert.Level == s.Level {
			t.announced, t.remindFrom = s.Level, now // repeat waits start again
		}
	}
	g.lastState = b.String()
}

// idle reports whether the group holds nothing and may be forgotten.
func (g *group) idle() bool {
	return len(g.firing) == 0 && len(g.resolved) == 0 && !g.changed
}

// flush returns the group notification due at now, if any, and records it
// as sent. ok is false when nothing is due, or when the changes cancelled
// out (an alert went orange and back to red within one interval).
func (g *group) flush(now time.Time, interval time.Duration) (n Notification, key string, ok bool) {
	if !g.changed || now.Before(g.nextFlush) {
		return Notification{}, "", false
	}
	g.changed = false
	firing := g.firingAlerts()
	resolved := slices.Collect(maps.Values(g.resolved))
	clear(g.resolved)
	n = newNotification(KindGroup, g, firing, resolved) // sorts firing and resolved
	state := firingState(firing)
	if len(resolved) == 0 && state == g.lastState {
		return Notification{}, "", false
	}
	g.lastState = state
	g.nextFlush = now.Add(interval)
	for _, t := range g.firing {
		if t.announced != t.alert.Level {
			t.announced, t.remindFrom = t.alert.Level, now
		}
	}
	return n, groupMessageKey(g.key, firing, resolved), true
}

// dueRepeats returns the firing alerts, announced at their level and not
// acknowledged, whose repeat wait has run out at now, with the ordinal of
// each repeat; it restarts their waits.
func (g *group) dueRepeats(now time.Time, repeatAfter map[int8]time.Duration) (due []model.Alert, ordinals []int64) {
	for _, t := range g.firing {
		wait := repeatAfter[t.alert.Level]
		if wait <= 0 || t.announced != t.alert.Level || t.alert.AckedBy != "" || now.Before(t.remindFrom.Add(wait)) {
			continue
		}
		t.remindFrom = now
		due = append(due, t.alert)
	}
	sortAlerts(due)
	ordinals = make([]int64, len(due))
	for i, a := range due {
		elapsed := now.Sub(time.UnixMilli(a.UpdatedAt))
		ordinals[i] = max(1, int64(elapsed/repeatAfter[a.Level]))
	}
	return due, ordinals
}

func (g *group) firingAlerts() []model.Alert {
	out := make([]model.Alert, 0, len(g.firing))
	for _, t := range g.firing {
		out = append(out, t.alert)
	}
	return out
}

// firingState renders sorted alerts as fingerprint=level pairs: what
// people were told fires.
func firingState(sorted []model.Alert) string {
	var b strings.Builder
	for _, a := range sorted {
		writeState(&b, a.Fingerprint, a.Level)
	}
	return b.String()
}

func writeState(b *strings.Builder, fingerprint string, level int8) {
	b.WriteString(fingerprint)
	b.WriteByte('=')
	b.WriteString(strconv.Itoa(int(level)))
	b.WriteByte(' ')
}
