// Package threshold is the detector for threshold crossings of
// indicators: each level change of the vital-signs engine (graded with
// the catalog's thresholds and hysteresis) becomes an alert finding about
// that indicator in that unit. How long a level must hold before its
// alert fires (`for`) is the alert lifecycle's business.
package threshold

import (
	"fmt"
	"strconv"

	"cityvitals/alert"
	"cityvitals/engine"
	"cityvitals/indicator"
)

// Rule is the name findings of this detector carry.
const Rule = "threshold"

// Names gives the words a person reads in an alert.
type Names interface {
	// Indicator returns the catalog entry, if any.
	Indicator(id string) (*indicator.Indicator, bool)
	// Unit returns a unit's Chinese and English names ("" is the city).
	Unit(code string) (zh, en string)
}

var levelZH = map[indicator.Level]string{
	indicator.LevelBlue: "蓝色", indicator.LevelYellow: "黄色", indicator.LevelOrange: "橙色", indicator.LevelRed: "红色",
}

var levelEN = map[indicator.Level]string{
	indicator.LevelBlue: "blue", indicator.LevelYellow: "yellow", indicator.LevelOrange: "orange", indicator.LevelRed: "red",
}

// Finding turns a level change into a finding: active at the new level
// when it is a warning level, cleared otherwise.
func Finding(c engine.LevelChange, names Names) alert.Finding {
	f := alert.Finding{
		Rule:   Rule,
		Labels: map[string]string{"unit": c.Unit, "indicator": c.Indicator},
		At:     c.Time,
		Evidence: map[string]any{
			"value": c.Value, "threshold": c.Threshold, "window": c.Window.String(),
			"from": int(c.From), "to": int(c.To),
		},
	}
	if c.To >= indicator.LevelBlue {
		f.Level = int8(c.To)
	}
	unitZH, unitEN := names.Unit(c.Unit)
	ind, ok := names.Indicator(c.Indicator)
	if !ok {
		f.SummaryZH = fmt.Sprintf("%s %s", unitZH, c.Indicator)
		f.SummaryEN = fmt.Sprintf("%s: %s", unitEN, c.Indicator)
		return f
	}
	f.Labels["domain"] = ind.Domain
	value := strconv.FormatFloat(c.Value, 'g', 4, 64) + " " + ind.Unit
	if f.Level == 0 {
		f.SummaryZH = fmt.Sprintf("%s %s 恢复正常（%s）", unitZH, ind.NameZH, value)
		f.SummaryEN = fmt.Sprintf("%s: %s back to normal (%s)", unitEN, ind.NameEN, value)
		return f
	}
	bound := strconv.FormatFloat(c.Threshold, 'g', 4, 64)
	f.SummaryZH = fmt.Sprintf("%s %s %s预警：%s（阈值 %s，窗口 %s）", unitZH, ind.NameZH, levelZH[c.To], value, bound, c.Window)
	f.SummaryEN = fmt.Sprintf("%s: %s %s warning: %s (threshold %s, window %s)", unitEN, ind.NameEN, levelEN[c.To], value, bound, c.Window)
	return f
}
