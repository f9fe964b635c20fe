package citizen_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"cityvitals/citizen"
	"cityvitals/model"
	"cityvitals/store"
)

const testMapping = `source: test
time_layout: "2006-01-02 15:04:05"
time_zone: Asia/Shanghai
na: ["NA"]
channel: hotline
columns:
  id: id
  created: created
  closed: closed
  status: status
  service: category
  description: "{category} / {details}"
  lat: lat
  lon: lon
  address: address
  notes: notes
statuses:
  Open: received
  Closed: closed
  Rejected: rejected
services:
  Garbage: exposed_garbage
  Noise: noise
`

// testCSV exercises every row rule; times are Shanghai local (UTC+8).
const testCSV = "\uFEFF" + `id,created,closed,status,category,lat,lon,address,notes,details
1,2025-07-01 08:00:00,2025-07-01 10:00:00,Closed,Garbage,31.2304,121.4737,人民大道,已清运,bags
2,2025-07-01 08:30:00,,Open,Garbage,31.2305,121.4737,人民大道,,more bags
3,yesterday,,Open,Garbage,31.2304,121.4737,人民大道,,x
4,2025-07-01 09:00:00,2025-07-01 08:00:00,Closed,Garbage,31.2304,121.4737,人民大道,,x
5,2025-07-01 09:00:00,,Closed,Garbage,31.2304,121.4737,人民大道,,x
6,2025-07-01 09:00:00,,Pending,Garbage,31.2304,121.4737,人民大道,,x
7,2025-07-01 09:00:00,NA,Open,Potholes,0,0,某路1号,,NA
8,2025-07-01 09:00:00,,Open,Garbage,31.23,,人民大道,,x
1,2025-07-01 09:30:00,,Open,Garbage,31.2304,121.4737,人民大道,,x
9,2025-07-01 11:00:00,,Open,Garbage,31.2304,121.4737,人民大道,,after the close
10,too,few
11,2025-07-01 12:00:00,,Open,Noise,31.2304,121.4737,人民大道,,"loud "music" at night"
12,2025-07-01 12:30:00,2025-07-01 12:30:00,Rejected,Noise,31.2404,121.4737,人民大道,不属实,x
13,2025-07-01 13:00:00,,Open,Noise,91,121.4737,人民大道,,x
`

func importTestCSV(t *testing.T, f *fixture) citizen.ImportReport {
	t.Helper()
	m, err := citizen.ParseMapping("test.yaml", []byte(testMapping))
	mustNil(t, err)
	rep, err := f.svc.ImportCSV(t.Context(), strings.NewReader(testCSV), m, citizen.ImportOptions{Actor: "importer", KeepOutside: true})
	mustNil(t, err)
	return rep
}

func TestImportCSVKeepsGoodRowsAndNamesBadOnes(t *testing.T) {
	f := newFixture(t)
	rep := importTestCSV(t, f)

	wantErrors := []citizen.RowError{
		{Line: 4, Column: "created", Message: `"yesterday" does not match the time layout "2006-01-02 15:04:05"`},
		{Line: 5, Column: "closed", Message: "closed 2025-07-01T00:00:00Z is before created 2025-07-01T01:00:00Z"},
		{Line: 6, Column: "closed", Message: `empty, but status "Closed" (closed) needs a closing time`},
		{Line: 7, Column: "status", Message: `"Pending" is not in the mapping's statuses`},
		{Line: 9, Column: "lon", Message: `"" is not a number`},
		{Line: 10, Column: "id", Message: "id repeats line 2"},
		{Line: 12, Message: "wrong number of fields"},
		{Line: 13, Message: `extraneous or missing " in quoted-field`},
		{Line: 15, Column: "lat", Message: "lat: 91 is not a WGS84 latitude (-90 to 90)"},
	}
	if fmt.Sprint(rep.Errors) != fmt.Sprint(wantErrors) {
		t.Errorf("row errors:\n got %v\nwant %v", rep.Errors, wantErrors)
	}
	want := citizen.ImportReport{Rows: 14, Imported: 5, Duplicates: 1, Closed: 2, Failed: 9}
	rep.Errors = nil
	if fmt.Sprintf("%+v", rep) != fmt.Sprintf("%+v", want) {
		t.Errorf("report %+v, want %+v", rep, want)
	}

	byID := importedByExternalID(t, f)
	one, two, seven, nine, twelve := byID["test:1"], byID["test:2"], byID["test:7"], byID["test:9"], byID["test:12"]
	if !one.RequestedAt.Equal(time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)) || one.Status != model.ReportClosed ||
		!one.UpdatedAt.Equal(time.Date(2025, 7, 1, 2, 0, 0, 0, time.UTC)) || one.StatusNotes != "已清运" {
		t.Errorf("row 1 replayed as %+v", one)
	}
	if one.Description != "Garbage / bags" || one.Channel != "hotline" || one.SubmittedBy != "importer" {
		t.Errorf("row 1 description %q channel %q by %q", one.Description, one.Channel, one.SubmittedBy)
	}
	// Row 2 repeats row 1 and follows it to closed when row 1 closes.
	if two.DuplicateOf != one.ID || two.IncidentID != one.IncidentID || two.Status != model.ReportClosed {
		t.Errorf("row 2 %+v should be a closed duplicate of %d", two, one.ID)
	}
	// Row 7: unknown category → other; (0, 0) is no point; NA is empty.
	if seven.ServiceCode != "other" || seven.HasPoint || seven.Address != "某路1号" || seven.Description != "Potholes /" {
		t.Errorf("row 7 %+v", seven)
	}
	// Row 9 comes after row 1 closed: a new incident.
	if nine.DuplicateOf != 0 || nine.IncidentID == one.IncidentID {
		t.Errorf("row 9 %+v must not repeat the closed row 1", nine)
	}
	if twelve.Status != model.ReportRejected || twelve.StatusNotes != "不属实" {
		t.Errorf("row 12 %+v should be rejected at creation", twelve)
	}
	if got := f.incidents.closed[one.IncidentID]; got.ID != one.ID {
		t.Errorf("the incident of row 1 should be closed by the import, closed: %v", f.incidents.closed)
	}
	if got := f.incidents.closed[twelve.IncidentID]; got.Status != model.ReportRejected {
		t.Errorf("the incident side must hear of the rejection of row 12, closed: %v", f.incidents.closed)
	}
	if len(f.incidents.opened) != 4 || len(f.incidents.attached[one.IncidentID]) != 1 {
		t.Errorf("incidents opened %d (want 4), attached to row 1's %d (want 1)", len(f.incidents.opened), len(f.incidents.attached[one.IncidentID]))
	}

	again := importTestCSV(t, f)
	if again.Imported != 0 || again.Existing != 5 || again.Failed != 9 {
		t.Errorf("a second import %+v must skip the 5 imported rows", again)
	}
}

func TestImportCSVRefusesBadFiles(t *testing.T) {
	f := newFixture(t)
	m, err := citizen.ParseMapping("test.yaml", []byte(testMapping))
	mustNil(t, err)
	_, err = f.svc.ImportCSV(t.Context(), strings.NewReader("id,created,category\n1,2025-07-01 08:00:00,Garbage\n"), m, citizen.ImportOptions{})
	wantError(t, err, model.EINVALID, "the file has no column closed, status, lat, lon, address, notes, details")
	_, err = f.svc.ImportCSV(t.Context(), strings.NewReader(""), m, citizen.ImportOptions{})
	wantError(t, err, model.EINVALID, "header row")

	unknown, err := citizen.ParseMapping("u.yaml", []byte(strings.Replace(testMapping, "Noise: noise", "Noise: loudness", 1)))
	mustNil(t, err)
	_, err = f.svc.ImportCSV(t.Context(), strings.NewReader(testCSV), unknown, citizen.ImportOptions{})
	wantError(t, err, model.EINVALID, `services.Noise: "loudness"`)
}

func TestParseMappingRefusesBadMappings(t *testing.T) {
	tests := []struct {
		name, doc string
		want      []string
	}{
		{"empty", "", []string{"empty mapping"}},
		{"unknown key", testMapping + "colums: {}\n", []string{"colums"}},
		{"bad source", strings.Replace(testMapping, "source: test", "source: Test Data", 1), []string{"source:"}},
		{"bad zone", strings.Replace(testMapping, "Asia/Shanghai", "Mars/Olympus", 1), []string{"time_zone"}},
		{"unknown field", strings.Replace(testMapping, "  notes: notes", "  remarks: notes", 1), []string{"columns.remarks: not a field"}},
		{"lat without lon", strings.Replace(testMapping, "  lon: lon\n", "", 1), []string{"lat and lon go together"}},
		{"no id", strings.Replace(testMapping, "  id: id\n", "", 1), []string{"columns.id: required"}},
		{"bad status", strings.Replace(testMapping, "Rejected: rejected", "Rejected: binned", 1), []string{`statuses.Rejected: "binned"`}},
		{"broken template", strings.Replace(testMapping, "{details}", "{details", 1), []string{"a { without its }"}},
		{"bad delimiter", testMapping + "delimiter: ab\n", []string{"delimiter"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := citizen.ParseMapping("m.yaml", []byte(tc.doc))
			wantError(t, err, model.EINVALID, tc.want...)
		})
	}
}

func TestImportManyRowsPagesAndBatches(t *testing.T) {
	f := newFixture(t)
	var b strings.Builder
	b.WriteString(strings.SplitN(testCSV, "\n", 2)[0][len("\uFEFF"):] + "\n")
	const n = 1203 // more than an export page and several import batches
	for i := range n {
		// 200 m apart in a column: no duplicates.
		fmt.Fprintf(&b, "%d,2025-07-01 08:%02d:%02d,,Open,Garbage,%.6f,121.4737,路%d号,,x\n",
			i+1, i/60, i%60, metresNorth(squareLat, float64(i)*200), i)
	}
	m, err := citizen.ParseMapping("test.yaml", []byte(testMapping))
	mustNil(t, err)
	var progress []int
	rep, err := f.svc.ImportCSV(t.Context(), strings.NewReader(b.String()), m, citizen.ImportOptions{
		Progress: func(done, total int) {
			if total != n {
				t.Errorf("progress total %d, want %d", total, n)
			}
			progress = append(progress, done)
		},
	})
	mustNil(t, err)
	if rep.Imported != n || rep.Duplicates != 0 || rep.Failed != 0 {
		t.Fatalf("import %+v", rep)
	}
	if len(progress) < 2 || progress[len(progress)-1] != n || !slices.IsSorted(progress) {
		t.Errorf("progress %v", progress)
	}
	all := importedByExternalID(t, f)
	if len(all) != n {
		t.Errorf("listing pages found %d reports, want %d", len(all), n)
	}
	var buf bytes.Buffer
	exported, err := f.svc.Export(t.Context(), &buf, principal(model.RoleViewer), store.ReportFilter{ServiceCodes: []string{"exposed_garbage"}})
	mustNil(t, err)
	rows, err := csv.NewReader(&buf).ReadAll()
	mustNil(t, err)
	if exported != n || len(rows) != n+1 {
		t.Errorf("exported %d reports in %d rows, want %d and a header", exported, len(rows), n)
	}
}

// importedByExternalID lists every stored report, page by page.
func importedByExternalID(t *testing.T, f *fixture) map[string]model.Report {
	t.Helper()
	out := map[string]model.Report{}
	var page store.Page
	for {
		reports, next, err := f.svc.Query(t.Context(), store.ReportFilter{}, page)
		mustNil(t, err)
		for _, r := range reports {
			if _, dup := out[r.ExternalID]; dup {
				t.Fatalf("external id %s listed twice", r.ExternalID)
			}
			out[r.ExternalID] = r
		}
		if next == "" {
			return out
		}
		page.After = next
	}
}
