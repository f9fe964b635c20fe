package cluster

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"cityvitals/alert"
)

// namer gives a unit's Chinese and English names.
type namer func(unit string) (zh, en string)

// maxListed bounds the member keys a finding lists; count says how many
// there are.
const maxListed = 50

// shape is what a cluster's members look like together.
type shape struct {
	count, sensors, reports int
	lon, lat                float64
	spreadM                 float64 // farthest member from the centroid
	firstAt, lastAt         int64
	keys                    []string // oldest first, at most maxListed
}

func shapeOf(ms []*member) shape {
	s := shape{count: len(ms), firstAt: math.MaxInt64, lastAt: math.MinInt64}
	for _, m := range ms {
		if m.report {
			s.reports++
		} else {
			s.sensors++
		}
		s.lon += m.lonDeg
		s.lat += m.latDeg
		s.firstAt, s.lastAt = min(s.firstAt, m.firstAt), max(s.lastAt, m.lastAt)
	}
	if s.count == 0 {
		s.firstAt, s.lastAt = 0, 0
		return s
	}
	s.lon /= float64(s.count)
	s.lat /= float64(s.count)
	for _, m := range ms {
		s.spreadM = max(s.spreadM, distanceM(s.lon, s.lat, m.lonDeg, m.latDeg))
	}
	for _, m := range sortedByAge(ms)[:min(len(ms), maxListed)] {
		s.keys = append(s.keys, m.key)
	}
	return s
}

// sortedByAge returns the members oldest first (a copy).
func sortedByAge(ms []*member) []*member {
	sorted := slices.Clone(ms)
	slices.SortFunc(sorted, func(a, b *member) int {
		if a.older(b) {
			return -1
		}
		return 1
	})
	return sorted
}

func (k *kind) labels(id, unit string) map[string]string {
	l := map[string]string{"kind": k.p.Kind, "unit": unit, "cluster": id}
	if k.p.Domain != "" {
		l["domain"] = k.p.Domain
	}
	return l
}

func (k *kind) evidence(s shape) map[string]any {
	return map[string]any{
		"members": s.keys, "count": s.count, "sensors": s.sensors, "reports": s.reports,
		"radius_m": k.p.RadiusM, "window": k.p.Window.String(), "min_keys": k.p.MinKeys,
		"lon": round6(s.lon), "lat": round6(s.lat), "first_at": s.firstAt, "last_at": s.lastAt,
	}
}

func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }

func (k *kind) firingFinding(c *cluster, level int8, t int64, names namer) alert.Finding {
	s := shapeOf(c.members)
	unitZH, unitEN := names(c.unit)
	zh, en := k.describe(s)
	return alert.Finding{
		Rule: Rule, Labels: k.labels(c.id, c.unit), Level: level, At: t,
		Evidence:  k.evidence(s),
		SummaryZH: unitZH + " " + zh,
		SummaryEN: unitEN + ": " + en,
	}
}

func (k *kind) clearedFinding(c *cluster, t int64, names namer) alert.Finding {
	s := shapeOf(c.members)
	unitZH, unitEN := names(c.unit)
	ev := k.evidence(s)
	ev["reason"] = "below min_keys"
	return alert.Finding{
		Rule: Rule, Labels: k.labels(c.id, c.unit), At: t, Evidence: ev,
		SummaryZH: fmt.Sprintf("%s 疑似%s的关联报警已解除（剩余 %d 个信号）", unitZH, k.p.NameZH, s.count),
		SummaryEN: fmt.Sprintf("%s: suspected %s cluster over (%d %s left)", unitEN, k.p.NameEN, s.count, plural(s.count, "signal")),
	}
}

func (k *kind) mergedFinding(r retirement, t int64, names namer) alert.Finding {
	unitZH, unitEN := names(r.unit)
	return alert.Finding{
		Rule: Rule, Labels: k.labels(r.id, r.unit), At: t,
		Evidence:  map[string]any{"reason": "merged", "merged_into": r.into},
		SummaryZH: fmt.Sprintf("%s 疑似%s的关联报警已并入关联告警 %s", unitZH, k.p.NameZH, r.into),
		SummaryEN: fmt.Sprintf("%s: suspected %s cluster merged into cluster %s", unitEN, k.p.NameEN, r.into),
	}
}

// describe words a firing cluster: "200 米内 3 个监测点 30 分钟内相继报警，
// 疑似燃气泄漏". The distance is the pattern's radius, or, when members
// joined by unit lie farther apart, their spread.
func (k *kind) describe(s shape) (zh, en string) {
	reach := k.p.RadiusM
	if s.spreadM > reach {
		reach = math.Ceil(s.spreadM/100) * 100
	}
	distZH, distEN := distanceText(reach)
	winZH, winEN := windowText(k.p.Window)
	switch {
	case s.reports == 0:
		zh = fmt.Sprintf("%s内 %d 个监测点 %s内相继报警", distZH, s.sensors, winZH)
		en = fmt.Sprintf("%d %s alarmed within %s in %s", s.sensors, plural(s.sensors, "sensor"), distEN, winEN)
	case s.sensors == 0:
		zh = fmt.Sprintf("%s内 %s内收到 %d 条市民报告", distZH, winZH, s.reports)
		en = fmt.Sprintf("%d citizen %s within %s in %s", s.reports, plural(s.reports, "report"), distEN, winEN)
	default:
		zh = fmt.Sprintf("%s内 %s内 %d 个监测点报警、%d 条市民报告", distZH, winZH, s.sensors, s.reports)
		en = fmt.Sprintf("%d %s and %d citizen %s within %s in %s", s.sensors, plural(s.sensors, "sensor alarm"),
			s.reports, plural(s.reports, "report"), distEN, winEN)
	}
	return zh + "，疑似" + k.p.NameZH, en + " — suspected " + k.p.NameEN
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// distanceText: "200 米"/"200 m" below a kilometre, "1.5 公里"/"1.5 km" above.
func distanceText(m float64) (zh, en string) {
	if m < 1000 {
		n := strconv.FormatFloat(math.Round(m), 'f', -1, 64)
		return n + " 米", n + " m"
	}
	n := strconv.FormatFloat(math.Round(m/100)/10, 'f', -1, 64)
	return n + " 公里", n + " km"
}

// windowText: seconds below a minute, minutes below two hours, then hours.
func windowText(d time.Duration) (zh, en string) {
	switch {
	case d < time.Minute:
		n := strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
		return n + " 秒", n + " s"
	case d < 2*time.Hour:
		n := strconv.FormatFloat(math.Round(d.Minutes()*10)/10, 'f', -1, 64)
		return n + " 分钟", n + " min"
	}
	n := strconv.FormatFloat(math.Round(d.Hours()*10)/10, 'f', -1, 64)
	return n + " 小时", n + " h"
}
