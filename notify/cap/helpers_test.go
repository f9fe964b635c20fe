package cap_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"cityvitals/notify/cap"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// Paths of the shared real data, relative to this package's directory
// (/work/main/notify/cap → /work/shared/data).
const (
	capSchema      = "../../../shared/data/standards/cap12/CAP-v1.2.xsd"
	capExample     = "../../../shared/data/standards/cap12/cap_amber_alert_example.xml"
	districtsWGS84 = "../../../shared/data/shanghai/shanghai_districts_detailed_wgs84_derived.geojson"
)

// district is one Shanghai district boundary from the shared data.
type district struct {
	code     string
	name     string
	geometry orb.MultiPolygon
}

// readDistricts parses the 16 real Shanghai district boundaries once per
// test binary: the fixtures need them in dozens of subtests, and parsing
// the file under the race detector is slow.
var readDistricts = sync.OnceValues(func() ([]district, error) {
	data, err := os.ReadFile(districtsWGS84)
	if err != nil {
		return nil, fmt.Errorf("read districts: %w", err)
	}
	fc, err := geojson.UnmarshalFeatureCollection(data)
	if err != nil {
		return nil, fmt.Errorf("parse districts: %w", err)
	}
	var out []district
	for _, f := range fc.Features {
		mp, ok := f.Geometry.(orb.MultiPolygon)
		if !ok {
			return nil, fmt.Errorf("district %v: geometry is %T, want MultiPolygon", f.Properties["adcode"], f.Geometry)
		}
		code := strconv.Itoa(f.Properties.MustInt("adcode"))
		out = append(out, district{code: code, name: f.Properties.MustString("name"), geometry: mp})
	}
	return out, nil
})

// loadDistricts returns the districts, each with its own copy of the
// geometry so that a test may change it.
func loadDistricts(tb testing.TB) []district {
	tb.Helper()
	districts, err := readDistricts()
	if err != nil {
		tb.Fatal(err)
	}
	out := make([]district, len(districts))
	for i, d := range districts {
		out[i] = district{code: d.code, name: d.name, geometry: d.geometry.Clone()}
	}
	return out
}

// loadDistrict returns the district with the given GB/T 2260 code.
func loadDistrict(tb testing.TB, code string) district {
	tb.Helper()
	for _, d := range loadDistricts(tb) {
		if d.code == code {
			return d
		}
	}
	tb.Fatalf("district %s not in %s", code, districtsWGS84)
	return district{}
}

// xmllint returns the path of xmllint, failing the test when it is not
// installed: schema validation is the point of these tests, never skipped.
func xmllint(tb testing.TB) string {
	tb.Helper()
	path, err := exec.LookPath("xmllint")
	if err != nil {
		tb.Fatalf("xmllint not found on PATH: install libxml2-utils (apt-get install -y libxml2-utils; scripts/test.sh does it)")
	}
	return path
}

// schemaErrors validates files against the CAP 1.2 schema and returns
// xmllint's complaint, or nil if every file validates.
func schemaErrors(tb testing.TB, files ...string) error {
	tb.Helper()
	args := append([]string{"--noout", "--schema", capSchema}, files...)
	out, err := exec.Command(xmllint(tb), args...).CombinedOutput()
	if err != nil {
		return &lintError{err: err, output: out}
	}
	return nil
}

type lintError struct {
	err    error
	output []byte
}

func (e *lintError) Error() string { return e.err.Error() + ":\n" + string(e.output) }

// validateCAP writes each document to a temporary file and fails the test
// unless all of them validate against the CAP 1.2 schema.
func validateCAP(t *testing.T, docs map[string][]byte) {
	t.Helper()
	dir := t.TempDir()
	var files []string
	for name, doc := range docs {
		path := filepath.Join(dir, name+".xml")
		if err := os.WriteFile(path, doc, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, path)
	}
	if err := schemaErrors(t, files...); err != nil {
		t.Fatalf("CAP schema validation: %v", err)
	}
}

// checkGolden compares got with testdata/name, or rewrites it with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; got:\n%s", path, got)
	}
}

func shanghaiTime(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// Fixtures: a red gas leak over a real district and its follow-ups, and a
// blue rainstorm forecast for a district given by its code only.

const sender = "cityvitals@shanghai.example.cn"

func redGasLeak(tb testing.TB) cap.Warning {
	huangpu := loadDistrict(tb, "310101")
	return cap.Warning{
		ID:            "CV-2025-0714-0001",
		Sender:        sender,
		Sent:          shanghaiTime(tb, "2025-07-14T09:30:00+08:00"),
		Status:        cap.StatusActual,
		MsgType:       cap.MsgAlert,
		Incidents:     []string{"INC-20250714-017"},
		Level:         cap.LevelRed,
		Certainty:     cap.CertaintyObserved,
		Domain:        cap.DomainGas,
		Responses:     []cap.ResponseType{cap.ResponseEvacuate, cap.ResponseAvoid},
		EventZH:       "燃气泄漏",
		EventEN:       "Gas leak",
		SenderNameZH:  "上海市城市运行管理中心",
		SenderNameEN:  "Shanghai City Operations Center",
		HeadlineZH:    "黄浦区燃气泄漏红色预警",
		HeadlineEN:    "Red warning: gas leak in Huangpu District",
		DescriptionZH: "中山南路燃气管段可燃气体浓度达到 32 %LEL，超过红色阈值 25 %LEL。",
		DescriptionEN: "Combustible gas at the Zhongshan South Road pipe segment reached 32 %LEL, above the red threshold of 25 %LEL.",
		InstructionZH: "请立即撤离相关区域，严禁明火，勿操作电器开关。",
		InstructionEN: "Leave the area now. No open flames; do not operate electrical switches.",
		Web:           "https://cityvitals.example.cn/warnings/CV-2025-0714-0001",
		Onset:         shanghaiTime(tb, "2025-07-14T09:26:00+08:00"),
		Expires:       shanghaiTime(tb, "2025-07-14T15:30:00+08:00"),
		Area: cap.Area{
			NameZH:    huangpu.name,
			NameEN:    "Huangpu District",
			AdminCode: huangpu.code,
			Geometry:  huangpu.geometry,
			Circles:   []cap.Circle{{Center: orb.Point{121.4903, 31.2052}, RadiusKm: 0.5}},
		},
		Parameters: map[string]string{
			"indicator": "gas_lel",
			"value":     "32",
			"threshold": "25",
			"uom":       "%LEL",
		},
	}
}

// redGasLeakUpdate lowers the gas leak to orange once the valve is shut.
func redGasLeakUpdate(tb testing.TB) cap.Warning {
	first := redGasLeak(tb)
	w := first
	w.ID = "CV-2025-0714-0002"
	w.Sent = shanghaiTime(tb, "2025-07-14T10:05:00+08:00")
	w.MsgType = cap.MsgUpdate
	w.References = []cap.Reference{{Sender: first.Sender, ID: first.ID, Sent: first.Sent}}
	w.Level = cap.LevelOrange
	w.Responses = []cap.ResponseType{cap.ResponseAvoid}
	w.HeadlineZH = "黄浦区燃气泄漏预警降为橙色"
	w.HeadlineEN = "Gas leak warning in Huangpu District lowered to orange"
	w.DescriptionZH = "阀门已关闭，可燃气体浓度降至 18 %LEL。"
	w.DescriptionEN = "The valve is shut; combustible gas is down to 18 %LEL."
	w.Parameters = map[string]string{"indicator": "gas_lel", "value": "18", "threshold": "10", "uom": "%LEL"}
	return w
}

// redGasLeakCancel ends the warning, referencing both earlier messages.
func redGasLeakCancel(tb testing.TB) cap.Warning {
	first, second := redGasLeak(tb), redGasLeakUpdate(tb)
	w := second
	w.ID = "CV-2025-0714-0003"
	w.Sent = shanghaiTime(tb, "2025-07-14T11:40:00+08:00")
	w.MsgType = cap.MsgCancel
	w.References = []cap.Reference{
		{Sender: first.Sender, ID: first.ID, Sent: first.Sent},
		{Sender: second.Sender, ID: second.ID, Sent: second.Sent},
	}
	w.Responses = nil
	w.Note = "泄漏已修复，浓度恢复正常 / Leak repaired, concentration back to normal"
	w.HeadlineZH = "黄浦区燃气泄漏预警解除"
	w.HeadlineEN = "Gas leak warning in Huangpu District cancelled"
	w.DescriptionZH = "管段已修复，可燃气体浓度 0 %LEL。"
	w.DescriptionEN = "The pipe segment is repaired; combustible gas is at 0 %LEL."
	w.InstructionZH = ""
	w.InstructionEN = ""
	return w
}

// blueRainstorm is a forecast for a whole district named by code only.
func blueRainstorm(tb testing.TB) cap.Warning {
	return cap.Warning{
		ID:            "CV-2025-0801-0042",
		Sender:        sender,
		Sent:          shanghaiTime(tb, "2025-08-01T06:00:00Z"),
		Status:        cap.StatusActual,
		MsgType:       cap.MsgAlert,
		Level:         cap.LevelBlue,
		Certainty:     cap.CertaintyLikely,
		Domain:        cap.DomainWeather,
		Responses:     []cap.ResponseType{cap.ResponseMonitor},
		EventZH:       "暴雨",
		EventEN:       "Rainstorm",
		SenderNameZH:  "上海市城市运行管理中心",
		SenderNameEN:  "Shanghai City Operations Center",
		HeadlineZH:    "浦东新区暴雨蓝色预警",
		HeadlineEN:    "Blue rainstorm warning for Pudong New Area",
		DescriptionZH: "预计未来 12 小时内降雨量将达 50 毫米以上，低洼路段可能积水。",
		DescriptionEN: "More than 50 mm of rain is expected within 12 hours; low-lying roads may flood.",
		InstructionZH: "注意防范，避免在低洼地带停留。",
		InstructionEN: "Take care and avoid low-lying areas.",
		Effective:     shanghaiTime(tb, "2025-08-01T14:00:00+08:00"),
		Onset:         shanghaiTime(tb, "2025-08-01T18:00:00+08:00"),
		Expires:       shanghaiTime(tb, "2025-08-02T06:00:00+08:00"),
		Area: cap.Area{
			NameZH:    "浦东新区",
			NameEN:    "Pudong New Area",
			AdminCode: "310115",
		},
		Parameters: map[string]string{"indicator": "rain_12h_forecast", "value": "55", "threshold": "50", "uom": "mm"},
	}
}
