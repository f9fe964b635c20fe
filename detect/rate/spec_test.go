package rate_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"cityvitals/detect/rate"
	"cityvitals/model"
	"cityvitals/property"
)

// TestDefaultSpecsMatchTheCatalog: every default names a catalog property
// in its canonical unit, and the set is accepted.
func TestDefaultSpecsMatchTheCatalog(t *testing.T) {
	catalog := property.Default()
	for _, s := range rate.DefaultSpecs() {
		p, ok := catalog.Lookup(s.Property)
		if !ok {
			t.Errorf("%s is not in the property catalog", s.Property)
			continue
		}
		if s.UoM != p.UoM {
			t.Errorf("%s: uom %q, the catalog's canonical unit is %q", s.Property, s.UoM, p.UoM)
		}
	}
	if _, err := rate.New(rate.DefaultSpecs(), nil); err != nil {
		t.Fatal(err)
	}
}

func TestNewRejectsInvalidSpecs(t *testing.T) {
	tests := []struct {
		name   string
		change func(*rate.Spec)
		want   string
	}{
		{"no property", func(s *rate.Spec) { s.Property = "" }, "rate specs[0]: property is required"},
		{"no uom", func(s *rate.Spec) { s.UoM = "" }, "(gas_pressure): uom is required"},
		{"unknown direction", func(s *rate.Spec) { s.Direction = "down" }, `direction "down" must be drop, rise or either`},
		{"zero window", func(s *rate.Spec) { s.Window = 0 }, "window 0s must be between 1s and 24h0m0s"},
		{"window of a week", func(s *rate.Spec) { s.Window = 7 * 24 * time.Hour }, "window 168h0m0s must be between"},
		{"per second", func(s *rate.Spec) { s.Per = time.Second }, "per 1s must be 1m0s or 1h0m0s"},
		{"two readings", func(s *rate.Spec) { s.MinReadings = 2 }, "min_readings 2 must be at least 3"},
		{"negative readings", func(s *rate.Spec) { s.MinReadings = -5 }, "min_readings -5 must be at least 3"},
		{"bins below readings", func(s *rate.Spec) { s.MinReadings, s.Bins = 6, 5 }, "bins 5 must be between min_readings 6 and 64"},
		{"too many bins", func(s *rate.Spec) { s.Bins = 1000 }, "bins 1000 must be between"},
		{"readings above default bins", func(s *rate.Spec) { s.MinReadings = 9 }, "min_readings 9 exceeds the default 8 bins"},
		{"negative threshold", func(s *rate.Spec) { s.Thresholds[2] = -10 }, "thresholds.orange -10 must be a positive rate"},
		{"NaN threshold", func(s *rate.Spec) { s.Thresholds[0] = math.NaN() }, "thresholds.blue NaN must be a positive rate"},
		{"infinite threshold", func(s *rate.Spec) { s.Thresholds[3] = math.Inf(1) }, "thresholds.red +Inf"},
		{"thresholds out of order", func(s *rate.Spec) { s.Thresholds = [4]float64{2, 10, 5, 20} }, "thresholds.orange 5 must be above the lower levels' 10"},
		{"equal thresholds", func(s *rate.Spec) { s.Thresholds = [4]float64{2, 0, 2, 0} }, "thresholds.orange 2 must be above the lower levels' 2"},
		{"no threshold", func(s *rate.Spec) { s.Thresholds = [4]float64{} }, "at least one level needs a rate"},
		{"negative hysteresis", func(s *rate.Spec) { s.Hysteresis = -1 }, "hysteresis -1 must be at least 0 and below the lowest threshold 2"},
		{"hysteresis at the lowest threshold", func(s *rate.Spec) { s.Thresholds = [4]float64{0, 5, 0, 9}; s.Hysteresis = 5 }, "below the lowest threshold 5"},
		{"NaN hysteresis", func(s *rate.Spec) { s.Hysteresis = math.NaN() }, "hysteresis NaN"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := specFor(t, "gas_pressure")
			tc.change(&s)
			_, err := rate.New([]rate.Spec{s}, names)
			if model.ErrorCode(err) != model.EINVALID || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want EINVALID containing %q", err, tc.want)
			}
		})
	}
}

func TestNewRejectsAPropertyTwice(t *testing.T) {
	specs := append(rate.DefaultSpecs(), specFor(t, "water_level"))
	_, err := rate.New(specs, names)
	if model.ErrorCode(err) != model.EINVALID || !strings.Contains(err.Error(), "rate specs[5]: property water_level is already watched by specs[2]") {
		t.Fatalf("error %v", err)
	}
}

// TestSparseLevelsAndHostileNames: unused levels are skipped, and the
// property id stands in for missing names.
func TestSparseLevelsAndHostileNames(t *testing.T) {
	s := rate.Spec{
		Property: "gas_pressure", UoM: "kPa", Direction: rate.Drop, Window: 15 * time.Minute, Per: time.Minute,
		Thresholds: [4]float64{0, 5, 0, 20}, MinReadings: 3,
	}
	d := newDetector(t, s)
	unit := strings.Repeat("<script>", 1000)
	d.Register(rate.Stream{ID: 1, Property: "gas_pressure", Unit: unit})
	fs := series(d, 1, 5*time.Minute, 6, func(i int) float64 { return 400 - 150*float64(i) })
	if len(fs) != 1 || fs[0].Level != 4 || fs[0].Labels["unit"] != unit || !strings.Contains(fs[0].SummaryEN, "gas_pressure falling 30 kPa/min") {
		t.Fatalf("findings %+v", fs)
	}
}
