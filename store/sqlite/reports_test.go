package sqlitestore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"cityvitals/model"
	"cityvitals/store"
)

func newReport(token string, lon, lat float64, at time.Time) model.Report {
	return model.Report{Token: token, ServiceCode: "exposed_garbage", Lon: lon, Lat: lat, HasPoint: true,
		Status: model.ReportReceived, RequestedAt: at, Attributes: map[string][]string{"waste_kind": {"bulky"}}}
}

func createReports(t *testing.T, db store.Reports, reports ...model.Report) []model.Report {
	t.Helper()
	var out []model.Report
	mustNil(t, db.UpdateReports(t.Context(), func(tx store.ReportsTx) error {
		for _, r := range reports {
			created, err := tx.CreateReport(t.Context(), r, model.Reporter{})
			if err != nil {
				return err
			}
			out = append(out, created)
		}
		return nil
	}))
	return out
}

func TestReportsRoundTripAndReporterApart(t *testing.T) {
	ctx := t.Context()
	db, _ := mustOpen(t)
	r := newReport("tok-1", 121.4737, 31.2304, t0)
	r.ExternalID, r.Address, r.ExpectedAt = "sf311:1", "人民大道", t0.Add(6*time.Hour)
	who := model.Reporter{FirstName: "三", LastName: "张", Phone: "13812345678"}
	var created model.Report
	mustNil(t, db.UpdateReports(ctx, func(tx store.ReportsTx) error {
		var err error
		created, err = tx.CreateReport(ctx, r, who)
		return err
	}))
	got, err := db.Report(ctx, created.ID)
	mustNil(t, err)
	r.ID, r.UpdatedAt = created.ID, t0
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", r) {
		t.Errorf("read back\n %+v\nwant\n %+v", got, r)
	}
	byToken, err := db.ReportByToken(ctx, "tok-1")
	mustNil(t, err)
	if byToken.ID != created.ID {
		t.Errorf("by token: %d", byToken.ID)
	}
	reporters, err := db.Reporters(ctx, []int64{created.ID, 424242})
	mustNil(t, err)
	if len(reporters) != 1 || reporters[created.ID].Phone != "13812345678" || reporters[created.ID].ReportID != created.ID {
		t.Errorf("reporters %+v", reporters)
	}

	// The external id and the token are unique.
	for _, dup := range []model.Report{
		func() model.Report { d := newReport("tok-2", 0, 0, t0); d.ExternalID = "sf311:1"; return d }(),
		newReport("tok-1", 0, 0, t0),
	} {
		err := db.UpdateReports(ctx, func(tx store.ReportsTx) error {
			_, err := tx.CreateReport(ctx, dup, model.Reporter{})
			return err
		})
		if model.ErrorCode(err) != model.ECONFLICT {
			t.Errorf("duplicate %q/%q: %v, want ECONFLICT", dup.Token, dup.ExternalID, err)
		}
	}
	_, err = db.Report(ctx, 424242)
	if model.ErrorCode(err) != model.ENOTFOUND {
		t.Errorf("missing report: %v", err)
	}
	err = db.UpdateReports(ctx, func(tx store.ReportsTx) error {
		_, err := tx.CreateReport(ctx, model.Report{ServiceCode: "x"}, model.Reporter{})
		return err
	})
	if model.ErrorCode(err) != model.EINVALID {
		t.Errorf("a report without token, status or time: %v, want EINVALID", err)
	}
}

func TestReportsTransactionRollsBack(t *testing.T) {
	ctx := t.Context()
	db, _ := mustOpen(t)
	err := db.UpdateReports(ctx, func(tx store.ReportsTx) error {
		if _, err := tx.CreateReport(ctx, newReport("tok-1", 121, 31, t0), model.Reporter{Phone: "110"}); err != nil {
			return err
		}
		return context.Canceled
	})
	if err != context.Canceled {
		t.Fatalf("UpdateReports returned %v", err)
	}
	reports, _, err := db.Reports(ctx, store.ReportFilter{}, store.Page{})
	mustNil(t, err)
	if len(reports) != 0 {
		t.Errorf("a rolled-back transaction left %d reports", len(reports))
	}
}

func TestDuplicateCandidates(t *testing.T) {
	ctx := t.Context()
	db, _ := mustOpen(t)
	near := newReport("near", 121.4737, 31.2304, t0)
	far := newReport("far", 121.50, 31.2304, t0)
	old := newReport("old", 121.4737, 31.2304, t0.Add(-48*time.Hour))
	other := newReport("other", 121.4737, 31.2304, t0)
	other.ServiceCode = "dirty_road"
	closed := newReport("closed", 121.4737, 31.2304, t0)
	closed.Status = model.ReportClosed
	byAddress := newReport("addr", 0, 0, t0)
	byAddress.HasPoint, byAddress.AddressID = false, "A-1"
	// Across a cell boundary (lat 31.23 is a 0.01° grid line).
	across := newReport("across", 121.4737, 31.2299, t0)
	createReports(t, db, near, far, old, other, closed, byAddress, across)

	box := store.Box{MinLon: 121.472, MinLat: 31.2290, MaxLon: 121.475, MaxLat: 31.2320}
	var tokens []string
	mustNil(t, db.UpdateReports(ctx, func(tx store.ReportsTx) error {
		got, err := tx.DuplicateCandidates(ctx, store.DuplicateQuery{ServiceCode: "exposed_garbage", Box: &box,
			From: t0.Add(-24 * time.Hour), To: t0})
		for _, r := range got {
			tokens = append(tokens, r.Token)
		}
		if err != nil {
			return err
		}
		got, err = tx.DuplicateCandidates(ctx, store.DuplicateQuery{ServiceCode: "exposed_garbage", AddressID: "A-1",
			From: t0.Add(-24 * time.Hour), To: t0})
		for _, r := range got {
			tokens = append(tokens, r.Token)
		}
		return err
	}))
	if fmt.Sprint(tokens) != "[near across addr]" {
		t.Errorf("candidates %v, want [near across] by place and [addr] by address id", tokens)
	}
}

func TestSetReportStatusFollowers(t *testing.T) {
	ctx := t.Context()
	db, _ := mustOpen(t)
	root := createReports(t, db, newReport("root", 121, 31, t0))[0]
	follower, own := newReport("follower", 121, 31, t0), newReport("own", 121, 31, t0)
	follower.DuplicateOf, own.DuplicateOf = root.ID, root.ID
	dups := createReports(t, db, follower, own)
	set := func(c store.StatusChange) int {
		t.Helper()
		var n int
		mustNil(t, db.UpdateReports(ctx, func(tx store.ReportsTx) error {
			var err error
			n, err = tx.SetReportStatus(ctx, c)
			return err
		}))
		return n
	}
	if n := set(store.StatusChange{ReportID: dups[1].ID, Duplicates: true, Status: model.ReportRejected, At: t0.Add(time.Minute)}); n != 1 {
		t.Errorf("a duplicate's own change touched %d reports, want 1", n)
	}
	if n := set(store.StatusChange{ReportID: root.ID, Duplicates: true, Status: model.ReportDispatched, Notes: "派遣", At: t0.Add(time.Hour)}); n != 2 {
		t.Errorf("the original's change touched %d reports, want 2 (itself and its follower)", n)
	}
	if n := set(store.StatusChange{ReportID: root.ID, Duplicates: true, Status: model.ReportRegistered, At: t0.Add(time.Minute)}); n != 0 {
		t.Errorf("a stale change touched %d reports, want 0", n)
	}
	want := map[int64]model.ReportStatus{root.ID: model.ReportDispatched, dups[0].ID: model.ReportDispatched, dups[1].ID: model.ReportRejected}
	for id, status := range want {
		r, err := db.Report(ctx, id)
		mustNil(t, err)
		if r.Status != status {
			t.Errorf("report %d: %s, want %s", id, r.Status, status)
		}
	}
	err := db.UpdateReports(ctx, func(tx store.ReportsTx) error {
		_, err := tx.SetReportStatus(ctx, store.StatusChange{ReportID: 999, Status: model.ReportClosed, At: t0})
		return err
	})
	if model.ErrorCode(err) != model.ENOTFOUND {
		t.Errorf("status of a missing report: %v", err)
	}
	err = db.UpdateReports(ctx, func(tx store.ReportsTx) error { return tx.SetReportIncident(ctx, 999, 1) })
	if model.ErrorCode(err) != model.ENOTFOUND {
		t.Errorf("incident of a missing report: %v", err)
	}
}

func TestReportsFilterAndPages(t *testing.T) {
	ctx := t.Context()
	db, _ := mustOpen(t)
	var batch []model.Report
	for i := range 25 {
		r := newReport(fmt.Sprintf("tok-%d", i), 121, 31, t0.Add(time.Duration(i)*time.Hour))
		if i%5 == 0 {
			r.ServiceCode, r.Status = "noise", model.ReportClosed
		}
		if i == 7 {
			r.IncidentID = 77
		}
		batch = append(batch, r)
	}
	created := createReports(t, db, batch...)
	count := func(f store.ReportFilter) int {
		t.Helper()
		n := 0
		page := store.Page{Limit: 4}
		for {
			items, next, err := db.Reports(ctx, f, page)
			mustNil(t, err)
			for i := 1; i < len(items); i++ {
				if items[i].ID >= items[i-1].ID {
					t.Fatalf("not newest first: %d after %d", items[i].ID, items[i-1].ID)
				}
			}
			n += len(items)
			if next == "" {
				return n
			}
			page.After = next
		}
	}
	tests := []struct {
		name string
		f    store.ReportFilter
		want int
	}{
		{"all", store.ReportFilter{}, 25},
		{"service", store.ReportFilter{ServiceCodes: []string{"noise"}}, 5},
		{"status", store.ReportFilter{Statuses: []model.ReportStatus{model.ReportReceived}}, 20},
		{"window", store.ReportFilter{From: t0.Add(10 * time.Hour), To: t0.Add(20 * time.Hour)}, 10},
		{"ids", store.ReportFilter{IDs: []int64{created[0].ID, created[3].ID, 999}}, 2},
		{"incident", store.ReportFilter{IncidentID: 77}, 1},
		{"unlinked open originals", store.ReportFilter{Unlinked: true}, 19},
		{"offset", store.ReportFilter{Offset: 20}, 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := count(tc.f); got != tc.want {
				t.Errorf("%d reports, want %d", got, tc.want)
			}
		})
	}
	if _, _, err := db.Reports(ctx, store.ReportFilter{}, store.Page{After: "!!"}); model.ErrorCode(err) != model.EINVALID {
		t.Errorf("a bad cursor: %v", err)
	}
}
