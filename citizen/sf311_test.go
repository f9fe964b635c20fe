package citizen_test

import (
	"bytes"
	"encoding/csv"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"cityvitals/citizen"
	"cityvitals/model"
)

// sf311Path is the real DataSF sample (/work/main/citizen → /work/shared/data).
const sf311Path = "../../shared/data/sf311/sf311.csv"

// sfRow is what the test reads from the file on its own, with
// encoding/csv, to check the import against.
type sfRow struct {
	line            int
	created, closed time.Time
	service         string
	lat, lon        float64
	notes           string
	bad             bool // closed before created: the import must refuse it
}

// readSF311 reads the file with encoding/csv: its records, and the rows
// the test expects, by external id.
func readSF311(t *testing.T, m *citizen.Mapping) ([][]string, map[string]sfRow) {
	t.Helper()
	f, err := os.Open(sf311Path)
	if err != nil {
		t.Skipf("real data not available: %v", err)
	}
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	mustNil(t, err)
	col := func(name string) int {
		i := slices.Index(records[0], name)
		if i < 0 {
			t.Fatalf("sf311.csv has no column %s", name)
		}
		return i
	}
	id, created, closed, category, lat, lon, notes := col("unique_key"), col("created_date"), col("closed_date"),
		col("category"), col("latitude"), col("longitude"), col("status_notes")
	parse := func(s string) time.Time {
		if s == "" {
			return time.Time{}
		}
		tm, err := time.Parse("2006-01-02 15:04:05 UTC", s)
		mustNil(t, err)
		return tm
	}
	rows := map[string]sfRow{}
	for i, rec := range records[1:] {
		r := sfRow{line: i + 2, created: parse(rec[created]), closed: parse(rec[closed]), notes: rec[notes]}
		r.service = m.DefaultService
		if code, ok := m.Services[rec[category]]; ok {
			r.service = code
		}
		r.lat, _ = strconv.ParseFloat(rec[lat], 64)
		r.lon, _ = strconv.ParseFloat(rec[lon], 64)
		r.bad = !r.closed.IsZero() && r.closed.Before(r.created)
		rows["sf311:"+rec[id]] = r
	}
	return records, rows
}

// TestImportSF311 imports 10,000 real San Francisco requests and checks
// the result against what the test reads from the file itself. Under the
// race detector it imports the first 2,000 (see sf311RowsUnderRace).
func TestImportSF311(t *testing.T) {
	m, err := citizen.LoadMapping("testdata/sf311.yaml")
	mustNil(t, err)
	records, source := readSF311(t, m)
	if len(source) != 10_000 {
		t.Fatalf("the file has %d distinct rows, want 10,000", len(source))
	}
	file := sf311Input(t, records, source)
	f := newFixture(t)
	rep, err := f.svc.ImportCSV(t.Context(), file, m, citizen.ImportOptions{Actor: "test", KeepOutside: true})
	mustNil(t, err)
	t.Logf("import: %d rows, %d imported, %d duplicates, %d closed, %d refused", rep.Rows, rep.Imported, rep.Duplicates, rep.Closed, rep.Failed)

	var bad, closed int
	for _, r := range source {
		if r.bad {
			bad++
		} else if !r.closed.IsZero() {
			closed++
		}
	}
	if rep.Rows != len(source) {
		t.Fatalf("the import read %d rows, the file has %d", rep.Rows, len(source))
	}
	if rep.Failed != bad || rep.Imported != len(source)-bad || rep.Closed != closed || rep.Existing != 0 {
		t.Errorf("import %+v; want %d failed (closed before created), %d imported, %d closed",
			rep, bad, len(source)-bad, closed)
	}
	for _, e := range rep.Errors {
		if e.Column != "closed_date" {
			t.Errorf("unexpected row error %s", e)
		}
	}
	if rep.Duplicates == 0 {
		t.Errorf("10,000 real requests hold duplicates; none were merged")
	}

	stored := importedByExternalID(t, f)
	if len(stored) != rep.Imported {
		t.Fatalf("%d reports stored, %d imported", len(stored), rep.Imported)
	}
	checkReplayedTimes(t, stored, source)
	checkDuplicates(t, stored, source, rep.Duplicates)
	if len(f.incidents.opened) != rep.Imported-rep.Duplicates {
		t.Errorf("%d incidents opened for %d originals", len(f.incidents.opened), rep.Imported-rep.Duplicates)
	}
}

// sf311Input is the file to import: all of it, or under the race
// detector its first sf311RowsUnderRace rows (source is trimmed to match).
func sf311Input(t *testing.T, records [][]string, source map[string]sfRow) io.Reader {
	t.Helper()
	if sf311RowsUnderRace == 0 {
		f, err := os.Open(sf311Path)
		mustNil(t, err)
		t.Cleanup(func() { f.Close() })
		return f
	}
	records = records[:1+sf311RowsUnderRace]
	for ext, r := range source {
		if r.line > len(records) {
			delete(source, ext)
		}
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	mustNil(t, w.WriteAll(records))
	return &buf
}

// checkReplayedTimes: every report was requested when the source row was
// created; a row the source closed is closed at its closing time with
// its notes; an original the source left open is open.
func checkReplayedTimes(t *testing.T, stored map[string]model.Report, source map[string]sfRow) {
	t.Helper()
	for ext, r := range stored {
		src := source[ext]
		if src.bad || !r.RequestedAt.Equal(src.created) || r.ServiceCode != src.service {
			t.Fatalf("%s: stored %+v for source row %+v", ext, r, src)
		}
		if noPoint := src.lat == 0 && src.lon == 0; noPoint == r.HasPoint {
			t.Errorf("%s: has point %v, source lat/lon %v,%v", ext, r.HasPoint, src.lat, src.lon)
		}
		switch {
		case !src.closed.IsZero():
			if r.Status != model.ReportClosed || !r.UpdatedAt.Equal(src.closed) || r.StatusNotes != src.notes {
				t.Errorf("%s: %s at %v (%q), source closed at %v", ext, r.Status, r.UpdatedAt, r.StatusNotes, src.closed)
			}
		case r.DuplicateOf == 0 && r.Status != model.ReportReceived:
			t.Errorf("%s: an original the source left open is %s", ext, r.Status)
		}
	}
}

// checkDuplicates re-derives the duplicate rule by brute force: for each
// report, is there an earlier report of the same service, within 150 m
// and 24 h, still open when it came in? Then it must be a duplicate (of
// that report's original); otherwise an original.
func checkDuplicates(t *testing.T, stored map[string]model.Report, source map[string]sfRow, want int) {
	t.Helper()
	byID := map[int64]model.Report{}
	var all []model.Report
	for _, r := range stored {
		byID[r.ID] = r
		all = append(all, r)
	}
	line := func(r model.Report) int { return source[r.ExternalID].line }
	slices.SortFunc(all, func(a, b model.Report) int {
		if c := a.RequestedAt.Compare(b.RequestedAt); c != 0 {
			return c
		}
		return line(a) - line(b)
	})
	// A report stops being open at its own closing, or (a duplicate) when
	// its original closes, whichever comes first.
	closesAt := func(r model.Report) time.Time {
		end := source[r.ExternalID].closed
		if r.DuplicateOf != 0 {
			if rootEnd := source[byID[r.DuplicateOf].ExternalID].closed; !rootEnd.IsZero() && (end.IsZero() || rootEnd.Before(end)) {
				end = rootEnd
			}
		}
		return end
	}
	duplicates := 0
	for i, o := range all {
		var originals []int64
		for j := i - 1; j >= 0 && o.RequestedAt.Sub(all[j].RequestedAt) <= 24*time.Hour; j-- {
			c := all[j]
			end := closesAt(c)
			if c.ServiceCode != o.ServiceCode || !o.HasPoint || !c.HasPoint || (!end.IsZero() && !end.After(o.RequestedAt)) {
				continue
			}
			if haversine(o.Lat, o.Lon, c.Lat, c.Lon) <= 150 {
				root := c.ID
				if c.DuplicateOf != 0 {
					root = c.DuplicateOf
				}
				originals = append(originals, root)
			}
		}
		if o.DuplicateOf != 0 {
			duplicates++
		}
		switch {
		case len(originals) == 0 && o.DuplicateOf != 0:
			t.Errorf("%s is a duplicate of %d, but no open report of %s lay within 150 m and 24 h before it", o.ExternalID, o.DuplicateOf, o.ServiceCode)
		case len(originals) > 0 && !slices.Contains(originals, o.DuplicateOf):
			t.Errorf("%s should be a duplicate of one of %v, is of %d", o.ExternalID, originals, o.DuplicateOf)
		case o.DuplicateOf != 0 && o.IncidentID != byID[o.DuplicateOf].IncidentID:
			t.Errorf("%s is not in the incident of its original", o.ExternalID)
		}
	}
	if duplicates != want {
		t.Errorf("%d stored duplicates, the import counted %d", duplicates, want)
	}
}

func haversine(lat1, lon1, lat2, lon2 float64) float64 {
	const r = 6_371_008.8
	rad := math.Pi / 180
	a := math.Pow(math.Sin((lat2-lat1)*rad/2), 2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Pow(math.Sin((lon2-lon1)*rad/2), 2)
	return 2 * r * math.Asin(math.Sqrt(a))
}
