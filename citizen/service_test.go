package citizen_test

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"cityvitals/citizen"
	"cityvitals/model"
	"cityvitals/store"
)

func TestSubmitOpensAnIncident(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	sub := garbageAt(squareLon, squareLat, time.Time{})
	sub.Attributes = map[string][]string{"waste_kind": {"household", "bulky"}}
	sub.Reporter = model.Reporter{FirstName: "三", LastName: "张", Phone: "13812345678"}
	r, err := f.svc.Submit(ctx, sub)
	mustNil(t, err)
	if r.ID == 0 || r.Token == "" || r.IncidentID == 0 || r.DuplicateOf != 0 {
		t.Fatalf("submitted report %+v: want an id, a token and an incident", r)
	}
	if r.Status != model.ReportReceived || !r.RequestedAt.Equal(t0) || !r.ExpectedAt.Equal(t0.Add(24*time.Hour)) {
		t.Errorf("status %s, requested %v, expected %v: want received at t0, expected a day later", r.Status, r.RequestedAt, r.ExpectedAt)
	}
	if r.AgencyResponsible != "市绿化市容局" {
		t.Errorf("agency %q, want the catalog's", r.AgencyResponsible)
	}
	if opened := f.incidents.opened[r.IncidentID]; opened.ID != r.ID {
		t.Errorf("incident %d was opened for report %d, want %d", r.IncidentID, opened.ID, r.ID)
	}
	stored, err := f.svc.Report(ctx, r.ID)
	mustNil(t, err)
	if stored.IncidentID != r.IncidentID || strings.Join(stored.Attributes["waste_kind"], ",") != "household,bulky" {
		t.Errorf("stored report %+v does not match the returned one", stored)
	}
	byToken, err := f.svc.ReportByToken(ctx, r.Token)
	mustNil(t, err)
	if byToken.ID != r.ID {
		t.Errorf("token %s finds report %d, want %d", r.Token, byToken.ID, r.ID)
	}
}

func TestSubmitMergesDuplicates(t *testing.T) {
	tests := []struct {
		name          string
		sub           citizen.Submission
		wantDuplicate bool
	}{
		{"100 m away an hour later", garbageAt(squareLon, metresNorth(squareLat, 100), t0.Add(time.Hour)), true},
		{"149 m away", garbageAt(squareLon, metresNorth(squareLat, 149), t0.Add(time.Hour)), true},
		{"same place 23 h 59 min later", garbageAt(squareLon, squareLat, t0.Add(24*time.Hour-time.Minute)), true},
		{"160 m away", garbageAt(squareLon, metresNorth(squareLat, 160), t0.Add(time.Hour)), false},
		{"160 m east", garbageAt(squareLon+160/(111_195.0*0.8550), squareLat, t0.Add(time.Hour)), false},
		{"25 hours later", garbageAt(squareLon, squareLat, t0.Add(25*time.Hour)), false},
		{"another service", func() citizen.Submission {
			s := garbageAt(squareLon, squareLat, t0.Add(time.Minute))
			s.ServiceCode = "dirty_road"
			return s
		}(), false},
		{"before the first report", garbageAt(squareLon, squareLat, t0.Add(-time.Minute)), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			first, err := f.svc.Submit(t.Context(), garbageAt(squareLon, squareLat, t0))
			mustNil(t, err)
			r, err := f.svc.Submit(t.Context(), tc.sub)
			mustNil(t, err)
			if got := r.DuplicateOf == first.ID; got != tc.wantDuplicate {
				t.Fatalf("duplicate of %d, incident %d; want duplicate: %v", r.DuplicateOf, r.IncidentID, tc.wantDuplicate)
			}
			attached := f.incidents.attached[first.IncidentID]
			if !tc.wantDuplicate {
				if r.IncidentID == first.IncidentID || len(attached) != 0 {
					t.Errorf("an original must open its own incident: %+v", r)
				}
				return
			}
			if r.IncidentID != first.IncidentID || !strings.Contains(r.StatusNotes, "duplicate of request") {
				t.Errorf("duplicate %+v must join incident %d with a note", r, first.IncidentID)
			}
			if len(attached) != 1 || attached[0].ID != r.ID {
				t.Errorf("incident %d: attached %v, want report %d", first.IncidentID, attached, r.ID)
			}
		})
	}
}

func TestDuplicateOfADuplicateLeadsToTheOriginal(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	a, err := f.svc.Submit(ctx, garbageAt(squareLon, squareLat, t0))
	mustNil(t, err)
	b, err := f.svc.Submit(ctx, garbageAt(squareLon, metresNorth(squareLat, 140), t0.Add(time.Hour)))
	mustNil(t, err)
	// c is 280 m from a but 140 m from b: it repeats b, whose original is a.
	c, err := f.svc.Submit(ctx, garbageAt(squareLon, metresNorth(squareLat, 280), t0.Add(2*time.Hour)))
	mustNil(t, err)
	if b.DuplicateOf != a.ID || c.DuplicateOf != a.ID || c.IncidentID != a.IncidentID {
		t.Errorf("b duplicates %d, c duplicates %d (incident %d); want both a=%d (incident %d)",
			b.DuplicateOf, c.DuplicateOf, c.IncidentID, a.ID, a.IncidentID)
	}
}

func TestClosedReportsAreNotDuplicated(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	a, err := f.svc.Submit(ctx, garbageAt(squareLon, squareLat, t0))
	mustNil(t, err)
	mustNil(t, f.svc.UpdateStatus(ctx, a.ID, model.ReportClosed, "已清运", t0.Add(time.Hour)))
	b, err := f.svc.Submit(ctx, garbageAt(squareLon, squareLat, t0.Add(2*time.Hour)))
	mustNil(t, err)
	if b.DuplicateOf != 0 || b.IncidentID == a.IncidentID {
		t.Errorf("a report near a closed one must open a new incident: %+v", b)
	}
}

func TestAddressIDDuplicates(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	sub := citizen.Submission{ServiceCode: "streetlight_out", AddressID: "SH-HP-000123",
		Attributes: map[string][]string{"symptom": {"out"}}, RequestedAt: t0}
	a, err := f.svc.Submit(ctx, sub)
	mustNil(t, err)
	sub.RequestedAt = t0.Add(time.Hour)
	b, err := f.svc.Submit(ctx, sub)
	mustNil(t, err)
	sub.AddressID, sub.Address = "", "人民大道200号"
	c, err := f.svc.Submit(ctx, sub)
	mustNil(t, err)
	if b.DuplicateOf != a.ID || c.DuplicateOf != 0 {
		t.Errorf("same address id must merge (%d), an address in words alone must not (%d)", b.DuplicateOf, c.DuplicateOf)
	}
}

func TestSubmitRefusesBadInput(t *testing.T) {
	f := newFixture(t)
	ok := garbageAt(squareLon, squareLat, t0)
	tests := []struct {
		name   string
		change func(*citizen.Submission)
		code   string
		want   []string
	}{
		{"no service", func(s *citizen.Submission) { s.ServiceCode = "" }, model.EINVALID, []string{"service_code: required"}},
		{"unknown service", func(s *citizen.Submission) { s.ServiceCode = "ufo_sighting" }, model.ENOTFOUND, []string{`"ufo_sighting" is not a service`}},
		{"no location", func(s *citizen.Submission) { s.HasPoint = false }, model.EINVALID, []string{"location: required"}},
		{"latitude out of range", func(s *citizen.Submission) { s.Lat = 91 }, model.EINVALID, []string{"lat: 91 is not a WGS84 latitude"}},
		{"longitude out of range", func(s *citizen.Submission) { s.Lon = -181 }, model.EINVALID, []string{"long: -181"}},
		{"description too long", func(s *citizen.Submission) { s.Description = strings.Repeat("脏", 4001) }, model.EINVALID, []string{"description: 4001 characters, at most 4000"}},
		{"invalid UTF-8", func(s *citizen.Submission) { s.Description = "bad \xff byte" }, model.EINVALID, []string{"description: is not valid UTF-8"}},
		{"NUL byte", func(s *citizen.Submission) { s.Address = "a\x00b" }, model.EINVALID, []string{"address_string: contains the control character U+0000"}},
		{"javascript media", func(s *citizen.Submission) { s.MediaURL = "javascript:alert(1)" }, model.EINVALID, []string{"media_url"}},
		{"bad email", func(s *citizen.Submission) { s.Reporter.Email = "Zhang <z@example.com>" }, model.EINVALID, []string{"email:"}},
		{"bad phone", func(s *citizen.Submission) { s.Reporter.Phone = "call me" }, model.EINVALID, []string{"phone:"}},
		{"unknown attribute value", func(s *citizen.Submission) {
			s.Attributes = map[string][]string{"waste_kind": {"plutonium"}}
		}, model.EINVALID, []string{`attribute[waste_kind]: "plutonium" is not one of`}},
		{"several problems at once", func(s *citizen.Submission) {
			s.Lat, s.Reporter.Phone = 100, "x"
		}, model.EINVALID, []string{"lat:", "phone:"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sub := ok
			tc.change(&sub)
			_, err := f.svc.Submit(t.Context(), sub)
			wantError(t, err, tc.code, tc.want...)
		})
	}
	reports, _, err := f.svc.Query(t.Context(), store.ReportFilter{}, store.Page{})
	mustNil(t, err)
	if len(reports) != 0 {
		t.Errorf("refused submissions stored %d reports", len(reports))
	}
}

// squareOnly places points within 2 km of People's Square in unit
// "310101" and nothing else.
type squareOnly struct{}

func (squareOnly) Locate(lon, lat float64) (string, bool) {
	if lon > squareLon-0.02 && lon < squareLon+0.02 && lat > squareLat-0.02 && lat < squareLat+0.02 {
		return "310101", true
	}
	return "", false
}

func TestSubmitLocatesTheUnit(t *testing.T) {
	f := newFixture(t, func(c *citizen.Config) { c.Locator = squareOnly{} })
	r, err := f.svc.Submit(t.Context(), garbageAt(squareLon, squareLat, t0))
	mustNil(t, err)
	if r.Unit != "310101" {
		t.Errorf("unit %q, want 310101", r.Unit)
	}
	_, err = f.svc.Submit(t.Context(), garbageAt(-122.4194, 37.7749, t0))
	wantError(t, err, model.EINVALID, "outside the area this service covers")
}

func TestUpdateStatusFlowsToFollowingDuplicates(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	a, err := f.svc.Submit(ctx, garbageAt(squareLon, squareLat, t0))
	mustNil(t, err)
	b, err := f.svc.Submit(ctx, garbageAt(squareLon, metresNorth(squareLat, 50), t0.Add(time.Minute)))
	mustNil(t, err)
	c, err := f.svc.Submit(ctx, garbageAt(squareLon, metresNorth(squareLat, 60), t0.Add(2*time.Minute)))
	mustNil(t, err)
	// c is closed on its own: it stops following a.
	mustNil(t, f.svc.UpdateStatus(ctx, c.ID, model.ReportRejected, "重复工单", t0.Add(3*time.Minute)))
	mustNil(t, f.svc.UpdateStatus(ctx, a.ID, model.ReportDispatched, "已派遣至黄浦区绿化市容局", t0.Add(time.Hour)))
	// An older change arriving late is ignored.
	mustNil(t, f.svc.UpdateStatus(ctx, a.ID, model.ReportRegistered, "立案", t0.Add(30*time.Minute)))

	want := map[int64]model.ReportStatus{a.ID: model.ReportDispatched, b.ID: model.ReportDispatched, c.ID: model.ReportRejected}
	for id, status := range want {
		r, err := f.svc.Report(ctx, id)
		mustNil(t, err)
		if r.Status != status {
			t.Errorf("report %d: status %s, want %s", id, r.Status, status)
		}
		if status == model.ReportDispatched && (!r.UpdatedAt.Equal(t0.Add(time.Hour)) || r.StatusNotes != "已派遣至黄浦区绿化市容局") {
			t.Errorf("report %d: updated %v notes %q", id, r.UpdatedAt, r.StatusNotes)
		}
	}
	if got, _ := f.svc.Report(ctx, c.ID); got.Status.Open311Status() != "closed" {
		t.Errorf("a rejected report is closed in Open311 terms, got %s", got.Status.Open311Status())
	}

	wantError(t, f.svc.UpdateStatus(ctx, 999999, model.ReportClosed, "", t0), model.ENOTFOUND, "report 999999")
	wantError(t, f.svc.UpdateStatus(ctx, a.ID, "done", "", t0), model.EINVALID, `"done"`)
	wantError(t, f.svc.UpdateStatus(ctx, a.ID, model.ReportClosed, "", time.Time{}), model.EINVALID, "time is required")
}

func TestLinkPendingRecoversFromAFailingIncidentSide(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	f.incidents.setFail(errors.New("incident store unavailable"))
	a, err := f.svc.Submit(ctx, garbageAt(squareLon, squareLat, t0))
	if err == nil || !strings.Contains(err.Error(), "stored; opening its incident") {
		t.Fatalf("Submit with a failing incident side: %v", err)
	}
	b, err := f.svc.Submit(ctx, garbageAt(squareLon, squareLat, t0.Add(time.Minute)))
	mustNil(t, err) // a duplicate of an unlinked original waits with it
	if b.IncidentID != 0 || b.DuplicateOf == 0 {
		t.Fatalf("duplicate of an unlinked original: %+v", b)
	}
	f.incidents.setFail(nil)
	n, err := f.svc.LinkPending(ctx)
	mustNil(t, err)
	if n != 1 {
		t.Errorf("LinkPending linked %d originals, want 1", n)
	}
	original, _ := f.svc.Report(ctx, b.DuplicateOf)
	dup, _ := f.svc.Report(ctx, b.ID)
	if original.IncidentID == 0 || dup.IncidentID != original.IncidentID || len(f.incidents.attached[original.IncidentID]) != 1 {
		t.Errorf("after LinkPending: original %+v, duplicate %+v, attached %v", original, dup, f.incidents.attached)
	}
	if a.ID == 0 || original.ID != a.ID {
		t.Errorf("Submit must return the stored report %d even when linking fails, got %+v", original.ID, a)
	}
	if n, err := f.svc.LinkPending(ctx); n != 0 || err != nil {
		t.Errorf("a second LinkPending linked %d (%v), want nothing left", n, err)
	}
}

func TestPersonalDataIsStoredApart(t *testing.T) {
	f := newFixture(t)
	sub := garbageAt(squareLon, squareLat, t0)
	sub.Reporter = model.Reporter{FirstName: "三", LastName: "张", Phone: "13812345678", Email: "zhang@example.com", DeviceID: "tt222111"}
	r, err := f.svc.Submit(t.Context(), sub)
	mustNil(t, err)

	raw, err := sql.Open("sqlite", f.path+"?mode=ro")
	mustNil(t, err)
	defer raw.Close()
	reportRow := wholeRow(t, raw, `SELECT * FROM reports WHERE id = ?`, r.ID)
	reporterRow := wholeRow(t, raw, `SELECT * FROM reporters WHERE report_id = ?`, r.ID)
	for _, pii := range []string{"13812345678", "zhang@example.com", "张三", "tt222111"} {
		if strings.Contains(reportRow, pii) {
			t.Errorf("the reports table holds personal data %q: %s", pii, reportRow)
		}
	}
	for _, pii := range []string{"13812345678", "zhang@example.com", "张", "三", "tt222111"} {
		if !strings.Contains(reporterRow, pii) {
			t.Errorf("the reporters table lacks %q: %s", pii, reporterRow)
		}
	}
}

// wholeRow returns every column of the one row a query selects, printed.
func wholeRow(t *testing.T, db *sql.DB, query string, args ...any) string {
	t.Helper()
	rows, err := db.Query(query, args...)
	mustNil(t, err)
	defer rows.Close()
	cols, err := rows.Columns()
	mustNil(t, err)
	if !rows.Next() {
		t.Fatalf("%s: no row", query)
	}
	values := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range values {
		ptrs[i] = &values[i]
	}
	mustNil(t, rows.Scan(ptrs...))
	return fmt.Sprint(values...)
}
