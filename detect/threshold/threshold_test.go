package threshold_test

import (
	"strings"
	"testing"
	"time"

	"cityvitals/detect/threshold"
	"cityvitals/engine"
	"cityvitals/indicator"
)

type names struct{}

func (names) Indicator(id string) (*indicator.Indicator, bool) {
	if id != "gas.leak" {
		return nil, false
	}
	return &indicator.Indicator{ID: id, Domain: "gas", NameZH: "燃气泄漏风险", NameEN: "Gas leak risk", Unit: "%LEL"}, true
}

func (names) Unit(code string) (string, string) { return "黄浦区", "Huangpu" }

func TestFinding(t *testing.T) {
	cases := []struct {
		name      string
		change    engine.LevelChange
		level     int8
		summaryZH string
		summaryEN string
	}{
		{"rise to orange", engine.LevelChange{Unit: "310101", Indicator: "gas.leak", From: 2, To: 3, Value: 26, Threshold: 25, Window: 10 * time.Minute},
			3, "黄浦区 燃气泄漏风险 橙色预警：26 %LEL（阈值 25", "Huangpu: Gas leak risk orange warning: 26 %LEL (threshold 25"},
		{"back to normal clears", engine.LevelChange{Unit: "310101", Indicator: "gas.leak", From: 3, To: 0, Value: 5},
			0, "恢复正常", "back to normal"},
		{"no data clears", engine.LevelChange{Unit: "310101", Indicator: "gas.leak", From: 4, To: -1}, 0, "恢复正常", "back to normal"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := threshold.Finding(tc.change, names{})
			if f.Level != tc.level || f.Rule != threshold.Rule || f.Labels["domain"] != "gas" || f.Labels["unit"] != "310101" {
				t.Fatalf("finding %+v", f)
			}
			if !strings.Contains(f.SummaryZH, tc.summaryZH) || !strings.Contains(f.SummaryEN, tc.summaryEN) {
				t.Fatalf("summaries %q / %q", f.SummaryZH, f.SummaryEN)
			}
		})
	}
}
