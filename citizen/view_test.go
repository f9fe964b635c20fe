package citizen_test

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strings"
	"testing"
	"time"

	"cityvitals/auth"
	"cityvitals/model"
	"cityvitals/store"
)

// submitWithReporter stores a report whose reporter left every kind of
// personal data, and one without.
func submitWithReporter(t *testing.T, f *fixture) (withPII, without model.Report) {
	t.Helper()
	sub := garbageAt(squareLon, squareLat, t0)
	sub.Description = "=HYPERLINK(\"http://evil.example\")" // a spreadsheet formula
	sub.Reporter = model.Reporter{FirstName: "三丰", LastName: "张", Phone: "13812345678", Email: "zhang@example.com",
		DeviceID: "tt222111", AccountID: "acct-0001234"}
	withPII, err := f.svc.Submit(t.Context(), sub)
	mustNil(t, err)
	without, err = f.svc.Submit(t.Context(), garbageAt(squareLon+0.05, squareLat, t0.Add(time.Minute)))
	mustNil(t, err)
	return withPII, without
}

func TestViewMasksUnlessPersonalRead(t *testing.T) {
	f := newFixture(t)
	withPII, without := submitWithReporter(t, f)
	reports := []model.Report{withPII, without}
	tests := []struct {
		role      model.Role
		wantClear bool
	}{
		{model.RoleViewer, false},
		{model.RoleCitizen, false},
		{model.RoleDispatcher, false},
		{model.RoleOperator, true},
		{model.RoleAdmin, true},
	}
	for _, tc := range tests {
		t.Run(string(tc.role), func(t *testing.T) {
			before := len(f.audit.all())
			views, err := f.svc.View(t.Context(), principal(tc.role), reports)
			mustNil(t, err)
			if len(views) != 2 || views[1].Reporter != nil {
				t.Fatalf("views %+v: the second report has no reporter", views)
			}
			who := views[0].Reporter
			if tc.wantClear {
				if who.Masked || who.Phone != "13812345678" || who.Name != "张三丰" {
					t.Errorf("%s sees %+v, want clear", tc.role, who)
				}
				if got := f.audit.all(); len(got) != before+1 || !strings.Contains(got[len(got)-1], "report.personal_read") {
					t.Errorf("a clear read must be audited: %v", got)
				}
				return
			}
			if !who.Masked || who.Phone != "138****5678" || who.Name != "张*丰" || who.Email != "z***@example.com" || who.DeviceID != "****2111" {
				t.Errorf("%s sees %+v, want masked", tc.role, who)
			}
			if len(f.audit.all()) != before {
				t.Errorf("a masked read needs no audit record")
			}
		})
	}
	masked, err := f.svc.ViewMasked(t.Context(), principal(model.RoleAdmin), reports)
	mustNil(t, err)
	if !masked[0].Reporter.Masked {
		t.Errorf("ViewMasked showed an admin the reporter in clear: %+v", masked[0].Reporter)
	}
	device := auth.NewPolicy().DevicePrincipal("gw-1", false)
	_, err = f.svc.View(t.Context(), device, reports)
	wantError(t, err, model.EFORBIDDEN, string(auth.ReportRead))
}

func TestExportMasksPerCaller(t *testing.T) {
	f := newFixture(t)
	withPII, _ := submitWithReporter(t, f)
	mustNil(t, f.svc.UpdateStatus(t.Context(), withPII.ID, model.ReportClosed, "-已处理", t0.Add(time.Hour)))

	export := func(role model.Role) [][]string {
		t.Helper()
		var buf bytes.Buffer
		n, err := f.svc.Export(t.Context(), &buf, principal(role), store.ReportFilter{})
		mustNil(t, err)
		rows, err := csv.NewReader(&buf).ReadAll()
		mustNil(t, err)
		if n != 2 || len(rows) != 3 {
			t.Fatalf("export wrote %d reports in %d rows, want 2 and a header", n, len(rows))
		}
		return rows
	}
	col := func(rows [][]string, name string) int { return slices.Index(rows[0], name) }

	rows := export(model.RoleViewer)
	last := rows[2] // newest first: the report with personal data is the older one
	if last[col(rows, "reporter_phone")] != "138****5678" || last[col(rows, "reporter_masked")] != "true" ||
		last[col(rows, "reporter_name")] != "张*丰" {
		t.Errorf("viewer export row %v is not masked", last)
	}
	if got := last[col(rows, "description")]; got != `'=HYPERLINK("http://evil.example")` {
		t.Errorf("a formula must be defused, got %q", got)
	}
	if got := last[col(rows, "status_notes")]; got != "'-已处理" {
		t.Errorf("status notes %q", got)
	}
	if last[col(rows, "open311_status")] != "closed" || last[col(rows, "requested_at")] != "2025-07-01T01:30:00Z" {
		t.Errorf("row %v", last)
	}
	if lon := last[col(rows, "long")]; lon != "121.4737" {
		t.Errorf("longitude %q must not be touched by the formula guard", lon)
	}
	if rows[1][col(rows, "reporter_phone")] != "" {
		t.Errorf("a report without a reporter exports empty reporter cells")
	}

	rows = export(model.RoleOperator)
	if got := rows[2][col(rows, "reporter_phone")]; got != "13812345678" {
		t.Errorf("operator export phone %q, want clear", got)
	}
	if got := f.audit.all(); len(got) == 0 || !strings.HasSuffix(got[len(got)-1], "report.export_personal reports") {
		t.Errorf("a clear export must be audited: %v", got)
	}

	var buf bytes.Buffer
	_, err := f.svc.Export(t.Context(), &buf, auth.Principal{}, store.ReportFilter{})
	wantError(t, err, model.EFORBIDDEN)
	if buf.Len() != 0 {
		t.Errorf("a refused export wrote %d bytes", buf.Len())
	}
}
