package silent

import (
	"fmt"
	"maps"
	"slices"
	"strconv"

	"cityvitals/alert"
)

// maxSample bounds the stream ids a group finding lists as evidence.
const maxSample = 20

// findings appends the findings of unit u's transitions in this Scan:
// a unit with GroupMin or more silent streams has one group finding,
// otherwise one finding per silent stream; a change between the two
// clears the findings of the other kind.
func (d *Detector) findings(u *unit, now int64, out []sortable) []sortable {
	defer u.done()
	for _, r := range u.removed {
		if r.alerted {
			out = append(out, d.streamCleared(u, r.id, r.member, r.kind, now))
		}
	}
	count := len(u.silent)
	switch grouped := count >= d.cfg.GroupMin; {
	case grouped && !u.group:
		out = d.foldIntoGroup(u, now, out)
		u.group = true
		return d.groupFiring(u, now, out)
	case grouped:
		if count == u.shown && d.cfg.level(count, u.total) == u.level {
			return out
		}
		return d.groupFiring(u, now, out)
	case u.group:
		u.group = false
		out = append(out, d.groupCleared(u, now))
		return d.alertEach(u, now, out, slices.Sorted(maps.Keys(u.silent)))
	default:
		return d.alertEach(u, now, out, u.added)
	}
}

// foldIntoGroup clears the per-stream findings of unit u as its group
// finding takes over.
func (d *Detector) foldIntoGroup(u *unit, now int64, out []sortable) []sortable {
	for id, m := range u.silent {
		if m.alerted {
			out = append(out, d.streamCleared(u, id, m, grouped, now))
			m.alerted = false
			u.silent[id] = m
		}
	}
	return out
}

// alertEach gives each of the silent streams ids of unit u its own finding.
func (d *Detector) alertEach(u *unit, now int64, out []sortable, ids []int64) []sortable {
	for _, id := range ids {
		m := u.silent[id]
		m.alerted = true
		u.silent[id] = m
		out = append(out, d.streamFiring(u, id, m, now))
	}
	return out
}

func (d *Detector) streamLabels(u *unit, id int64, m member) map[string]string {
	return map[string]string{"unit": u.code, "kind": "stream", "stream": strconv.FormatInt(id, 10), "device": m.device}
}

func (d *Detector) streamFiring(u *unit, id int64, m member, now int64) sortable {
	unitZH, unitEN := d.cfg.Names(u.code)
	zh, en := streamName(id, m.device)
	quietZH, quietEN := durationText(now - m.since)
	return sortable{unit: u.code, stream: id, finding: alert.Finding{
		Rule: Rule, Labels: d.streamLabels(u, id, m), Level: levelBlue, At: now,
		Evidence:  map[string]any{"stream": id, "device": m.device, "since": m.since},
		SummaryZH: fmt.Sprintf("%s %s失联（%s无数据）", unitZH, zh, quietZH),
		SummaryEN: fmt.Sprintf("%s: %s silent (no data for %s)", unitEN, en, quietEN),
	}}
}

// grouped is why a stream's own finding clears when its unit's group
// finding takes over.
const grouped changeKind = 255

var clearedText = map[changeKind][2]string{
	recovered: {"恢复上报", "reporting again"},
	forgotten: {"已停止监测", "no longer watched"},
	grouped:   {"并入片区失联告警", "folded into the unit's group alert"},
}

func (d *Detector) streamCleared(u *unit, id int64, m member, why changeKind, now int64) sortable {
	unitZH, unitEN := d.cfg.Names(u.code)
	zh, en := streamName(id, m.device)
	text := clearedText[why]
	return sortable{unit: u.code, stream: id, finding: alert.Finding{
		Rule: Rule, Labels: d.streamLabels(u, id, m), At: now,
		Evidence:  map[string]any{"stream": id, "device": m.device, "since": m.since, "reason": text[1]},
		SummaryZH: fmt.Sprintf("%s %s%s", unitZH, zh, text[0]),
		SummaryEN: fmt.Sprintf("%s: %s %s", unitEN, en, text[1]),
	}}
}

func groupLabels(u *unit) map[string]string {
	return map[string]string{"unit": u.code, "kind": "group"}
}

func (d *Detector) groupFiring(u *unit, now int64, out []sortable) []sortable {
	count := len(u.silent)
	u.shown, u.level = count, d.cfg.level(count, u.total)
	since, sample := groupEvidence(u)
	unitZH, unitEN := d.cfg.Names(u.code)
	quietZH, quietEN := durationText(now - since)
	share := fmt.Sprintf("%s/%s", thousands(count), thousands(u.total))
	return append(out, sortable{unit: u.code, group: true, finding: alert.Finding{
		Rule: Rule, Labels: groupLabels(u), Level: u.level, At: now,
		Evidence:  map[string]any{"silent": count, "total": u.total, "streams": sample, "since": since},
		SummaryZH: fmt.Sprintf("%s %s 台设备失联（%s无数据）", unitZH, share, quietZH),
		SummaryEN: fmt.Sprintf("%s: %s of %s devices silent (no data for %s)", unitEN, thousands(count), thousands(u.total), quietEN),
	}})
}

func (d *Detector) groupCleared(u *unit, now int64) sortable {
	count := len(u.silent)
	u.shown, u.level = 0, 0
	unitZH, unitEN := d.cfg.Names(u.code)
	return sortable{unit: u.code, group: true, finding: alert.Finding{
		Rule: Rule, Labels: groupLabels(u), At: now,
		Evidence:  map[string]any{"silent": count, "total": u.total},
		SummaryZH: fmt.Sprintf("%s 设备成片失联已解除（%s 台仍失联）", unitZH, thousands(count)),
		SummaryEN: fmt.Sprintf("%s: mass device silence over (%s still silent)", unitEN, thousands(count)),
	}}
}

// groupEvidence returns when the unit's silence began (the earliest last
// report of its silent streams) and up to maxSample of their ids, lowest
// first.
func groupEvidence(u *unit) (since int64, sample []int64) {
	since = never
	ids := make([]int64, 0, len(u.silent))
	for id, m := range u.silent {
		if since == never || m.since < since {
			since = m.since
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return since, slices.Clip(ids[:min(len(ids), maxSample)])
}

func streamName(id int64, device string) (zh, en string) {
	if device == "" {
		return fmt.Sprintf("数据流 %d ", id), fmt.Sprintf("stream %d", id)
	}
	return fmt.Sprintf("设备 %s（数据流 %d）", device, id), fmt.Sprintf("device %s (stream %d)", device, id)
}

// durationText renders a quiet time in ms for people: seconds below a
// minute, minutes below two hours, hours below two days, then days.
func durationText(ms int64) (zh, en string) {
	s := max(ms, 0) / 1000
	switch {
	case s < 60:
		return fmt.Sprintf("%d 秒", s), fmt.Sprintf("%d s", s)
	case s < 2*3600:
		return fmt.Sprintf("%d 分钟", s/60), fmt.Sprintf("%d min", s/60)
	case s < 2*86400:
		return fmt.Sprintf("%d 小时", s/3600), fmt.Sprintf("%d h", s/3600)
	}
	return fmt.Sprintf("%d 天", s/86400), fmt.Sprintf("%d days", s/86400)
}

// thousands formats n with comma separators: 5200 → "5,200".
func thousands(n int) string {
	digits := strconv.Itoa(n)
	sign := ""
	if n < 0 {
		sign, digits = "-", digits[1:]
	}
	var b []byte
	for i := range len(digits) {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, digits[i])
	}
	return sign + string(b)
}
