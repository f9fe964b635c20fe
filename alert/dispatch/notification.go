package dispatch

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"cityvitals/model"
)

// Kinds of Notification.
const (
	KindGroup      = "group"      // a group changed
	KindRepeat     = "repeat"     // unacknowledged alerts, sent again
	KindEscalation = "escalation" // the same repeat, to the escalation receiver
)

// Notification is the JSON payload of every message the Dispatcher sends.
type Notification struct {
	Kind     string            `json:"kind"`
	GroupKey string            `json:"group_key"`
	Group    map[string]string `json:"group"` // the GroupBy labels and their values
	// Level is the highest level among Firing, 0 when nothing fires.
	Level    int8           `json:"level"`
	Firing   []AlertSummary `json:"firing"`
	Resolved []AlertSummary `json:"resolved"` // since the group's previous notification
	Counts   Counts         `json:"counts"`
}

// AlertSummary is what a notification says about one alert.
type AlertSummary struct {
	Fingerprint string            `json:"fingerprint"`
	Rule        string            `json:"rule"`
	Labels      map[string]string `json:"labels"`
	Level       int8              `json:"level"`
	SummaryZH   string            `json:"summary_zh"`
	SummaryEN   string            `json:"summary_en"`
	StartsAt    time.Time         `json:"starts_at"`
	EndsAt      time.Time         `json:"ends_at,omitzero"`
	AckedBy     string            `json:"acked_by,omitempty"`
	Assignee    string            `json:"assignee,omitempty"`
}

// Counts sums up a notification; FiringByLevel is keyed by level.
type Counts struct {
	Firing        int          `json:"firing"`
	Resolved      int          `json:"resolved"`
	FiringByLevel map[int8]int `json:"firing_by_level"`
}

// newNotification summarises firing and resolved alerts, most severe and
// then oldest first, so that the payload does not depend on map order.
func newNotification(kind string, g *group, firing, resolved []model.Alert) Notification {
	sortAlerts(firing)
	sortAlerts(resolved)
	n := Notification{
		Kind: kind, GroupKey: g.key, Group: g.labels,
		Firing: summarise(firing), Resolved: summarise(resolved),
		Counts: Counts{Firing: len(firing), Resolved: len(resolved), FiringByLevel: map[int8]int{}},
	}
	for _, a := range firing {
		n.Level = max(n.Level, a.Level)
		n.Counts.FiringByLevel[a.Level]++
	}
	return n
}

func sortAlerts(alerts []model.Alert) {
	slices.SortFunc(alerts, func(x, y model.Alert) int {
		return cmp.Or(cmp.Compare(y.Level, x.Level), cmp.Compare(x.StartsAt, y.StartsAt),
			strings.Compare(x.Fingerprint, y.Fingerprint))
	})
}

func summarise(alerts []model.Alert) []AlertSummary {
	out := make([]AlertSummary, len(alerts))
	for i, a := range alerts {
		out[i] = AlertSummary{
			Fingerprint: a.Fingerprint, Rule: a.Rule, Labels: a.Labels, Level: a.Level,
			SummaryZH: a.SummaryZH, SummaryEN: a.SummaryEN,
			StartsAt: time.UnixMilli(a.StartsAt).UTC(), AckedBy: a.AckedBy, Assignee: a.Assignee,
		}
		if a.EndsAt != 0 {
			out[i].EndsAt = time.UnixMilli(a.EndsAt).UTC()
		}
	}
	return out
}

// groupKey renders the group labels in GroupBy order, quoted, so that
// values holding commas or quotes cannot make two groups look alike.
func groupKey(groupBy []string, labels map[string]string) (string, map[string]string) {
	values := make(map[string]string, len(groupBy))
	var b strings.Builder
	b.WriteByte('{')
	for i, name := range groupBy {
		if i > 0 {
			b.WriteByte(',')
		}
		values[name] = labels[name]
		b.WriteString(name)
		b.WriteByte('=')
		b.WriteString(strconv.Quote(labels[name]))
	}
	b.WriteByte('}')
	return b.String(), values
}

// groupMessageKey identifies a group notification by what it says: each
// firing alert with its level and the event time of its last change, each
// resolved one with its end. The same content gives the same key after a
// restart (the outbox then drops the resend); different content never
// shares a key, however often the process restarted.
func groupMessageKey(groupKey string, firing, resolved []model.Alert) string {
	h := sha256.New()
	for _, a := range firing {
		fmt.Fprintf(h, "f %s %d %d %d\n", a.Fingerprint, a.StartsAt, a.UpdatedAt, a.Level)
	}
	for _, a := range resolved {
		fmt.Fprintf(h, "r %s %d %d\n", a.Fingerprint, a.StartsAt, a.EndsAt)
	}
	return groupKey + "/" + hex.EncodeToString(h.Sum(nil)[:8])
}

// repeatMessageKey identifies a repeat by its alerts and, for each, the
// ordinal of the repeat counted in RepeatAfter periods from the event time
// of the alert's last change, which a restart does not change either.
func repeatMessageKey(kind, groupKey string, due []model.Alert, ordinals []int64) string {
	h := sha256.New()
	for i, a := range due {
		fmt.Fprintf(h, "%s %d %d %d %d\n", a.Fingerprint, a.StartsAt, a.UpdatedAt, a.Level, ordinals[i])
	}
	return groupKey + "/" + kind + "/" + hex.EncodeToString(h.Sum(nil)[:8])
}
