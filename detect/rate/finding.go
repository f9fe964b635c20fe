package rate

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"cityvitals/alert"
)

var levelZH = [5]string{"", "蓝色", "黄色", "橙色", "红色"}

// finding reports series s at level (0: cleared) at event time at, with
// the evidence of its latest judged rate.
func (d *Detector) finding(s *series, at int64, level int8) alert.Finding {
	sp := s.spec
	threshold := sp.threshold(level)
	f := alert.Finding{
		Rule:  Rule,
		Level: level,
		At:    at,
		Labels: map[string]string{
			"unit": s.stream.Unit, "stream": strconv.FormatInt(s.stream.ID, 10), "property": s.stream.Property,
		},
		Evidence: map[string]any{
			"rate": s.rate, "unit_per": sp.unitPer(), "direction": string(sp.Direction),
			"window": sp.Window.String(), "readings": int(s.readings),
			"threshold": threshold, "hysteresis": sp.Hysteresis,
			"value": s.value, "from": int(s.level),
		},
	}
	f.SummaryZH, f.SummaryEN = d.summaries(s, level, threshold)
	return f
}

// summaries words the finding: "… 燃气管道压力每分钟下降 6.2 kPa（黄色预警，
// 阈值 5 kPa/min）" and "…: stream 12 gas pipe pressure falling 6.2 kPa/min
// (yellow warning, threshold 5 kPa/min)".
func (d *Detector) summaries(s *series, level int8, threshold float64) (zh, en string) {
	sp := s.spec
	unitZH, unitEN := d.names(s.stream.Unit)
	nameZH, nameEN := sp.NameZH, sp.NameEN
	if nameZH == "" {
		nameZH = sp.Property
	}
	if nameEN == "" {
		nameEN = sp.Property
	}
	perZH, verbZH, verbEN := "每分钟", "下降", "falling"
	if sp.Per == time.Hour {
		perZH = "每小时"
	}
	if s.rate >= 0 {
		verbZH, verbEN = "上升", "rising"
	}
	amount := formatRate(math.Abs(s.rate))
	changeZH := perZH + verbZH + " " + amount + sp.uomSuffix()
	changeEN := verbEN + " " + amount + " " + sp.unitPer()
	if level == 0 {
		zh = fmt.Sprintf("%s 监测点 %d %s变化速率恢复正常（%s）", unitZH, s.stream.ID, nameZH, changeZH)
		en = fmt.Sprintf("%s: stream %d %s rate of change back to normal (%s)", unitEN, s.stream.ID, nameEN, changeEN)
		return zh, en
	}
	bound := strconv.FormatFloat(threshold, 'g', -1, 64) + " " + sp.unitPer()
	zh = fmt.Sprintf("%s 监测点 %d %s%s（%s预警，阈值 %s）", unitZH, s.stream.ID, nameZH, changeZH, levelZH[level], bound)
	en = fmt.Sprintf("%s: stream %d %s %s (%s warning, threshold %s)", unitEN, s.stream.ID, nameEN, changeEN, levelNames[level], bound)
	return zh, en
}

// threshold is the rate at which level begins; for level 0 (cleared),
// the lowest used one, which the rate has fallen below.
func (c *compiled) threshold(level int8) float64 {
	if level > 0 {
		return c.Thresholds[level-1]
	}
	for _, t := range c.Thresholds {
		if t > 0 {
			return t
		}
	}
	return 0
}

// unitPer is the rate's unit, "kPa/min" or "m/h"; a dimensionless
// property ("1") reads "/h".
func (c *compiled) unitPer() string {
	per := "/min"
	if c.Per == time.Hour {
		per = "/h"
	}
	if c.UoM == "1" {
		return per
	}
	return c.UoM + per
}

// uomSuffix is " kPa" after an amount, nothing for a dimensionless one.
func (c *compiled) uomSuffix() string {
	if c.UoM == "1" {
		return ""
	}
	return " " + c.UoM
}

// formatRate prints three significant digits without an exponent.
func formatRate(v float64) string {
	s := strconv.FormatFloat(v, 'g', 3, 64)
	if !strings.Contains(s, "e") {
		return s
	}
	rounded, _ := strconv.ParseFloat(s, 64) // s is a float just formatted
	return strconv.FormatFloat(rounded, 'f', -1, 64)
}
