package campaign

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"cityvitals/audit"
	"cityvitals/model"
	"cityvitals/store"
	sqlitestore "cityvitals/store/sqlite"
)

// benchUnits is a city of 16 districts × 10 streets × 20 grids, with map
// lookups (the test tree's linear scans would dominate at this size).
type benchUnits struct {
	units    map[string]model.Unit
	children map[string][]string
}

func newBenchUnits() *benchUnits {
	u := &benchUnits{units: map[string]model.Unit{}, children: map[string][]string{}}
	add := func(code, parent string, level model.UnitLevel) {
		u.units[code] = model.Unit{Code: code, Parent: parent, Level: level, NameZH: code}
		u.children[parent] = append(u.children[parent], code)
	}
	add("310000", "", model.LevelCity)
	for d := range 16 {
		district := fmt.Sprintf("3101%02d", d+1)
		add(district, "310000", model.LevelDistrict)
		for s := range 10 {
			street := fmt.Sprintf("%s%03d", district, s+1)
			add(street, district, model.LevelStreet)
			for g := range 20 {
				add(fmt.Sprintf("%s-G%02d", street, g+1), street, model.LevelGrid)
			}
		}
	}
	return u
}

func (u *benchUnits) Unit(code string) (model.Unit, bool) { x, ok := u.units[code]; return x, ok }

func (u *benchUnits) Ancestors(code string) []string {
	if _, ok := u.units[code]; !ok {
		return nil
	}
	var path []string
	for c := code; c != ""; c = u.units[c].Parent {
		path = append([]string{c}, path...)
	}
	return path
}

func (u *benchUnits) Descendants(code string) []string {
	out := []string{code}
	for i := 0; i < len(out); i++ {
		out = append(out, u.children[out[i]]...)
	}
	return out
}

func (u *benchUnits) grids() []string {
	var grids []string
	for code, x := range u.units {
		if x.Level == model.LevelGrid {
			grids = append(grids, code)
		}
	}
	return grids
}

// BenchmarkCampaign1M measures a campaign over 1,000,000 household gas
// meters spread over 3,200 grids. Setup (not timed) stores the meters
// through PutAssets in batches of 50,000. Opt-in and slow (about a
// minute of setup):
//
//	go test -run '^$' -bench Campaign1M -benchtime 1x -timeout 30m ./campaign/
//
// generate_tasks creates a fresh campaign per iteration and generates its
// million tasks; district_report and dept_report report on a campaign
// whose first 200,000 tasks were inspected, every fourth with a hazard.
func BenchmarkCampaign1M(b *testing.B) {
	const meters, batch = 1_000_000, 50_000
	ctx := context.Background()
	db, err := sqlitestore.Open(filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	units := newBenchUnits()
	grids := units.grids()
	start := time.Now()
	for off := 0; off < meters; off += batch {
		assets := make([]model.Asset, batch)
		for i := range assets {
			n := off + i
			assets[i] = model.Asset{ID: fmt.Sprintf("hh-%07d", n), Type: "household_gas_meter",
				Unit: grids[n%len(grids)], Dept: "gas"}
		}
		if err := db.PutAssets(ctx, assets); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("setup: stored %d meters in %v", meters, time.Since(start).Round(time.Millisecond))
	clock := &fakeClock{t: periodStart.Add(48 * time.Hour)}
	svc := NewService(db, units, audit.NewLogger(db), clock.Now)
	newCampaign := func(b *testing.B) model.Campaign {
		c, err := svc.CreateCampaign(ctx, "bench", NewCampaign{Name: "百万户燃气排查", Domain: "gas", Units: []string{"310000"},
			StartAt: ms(periodStart), EndAt: ms(periodStart.AddDate(0, 3, 0)), Depts: []string{"gas"},
			Checklists: []string{"household_gas"}})
		if err != nil {
			b.Fatal(err)
		}
		return c
	}

	b.Run("generate_tasks", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			c := newCampaign(b)
			b.StartTimer()
			n, err := svc.GenerateTasks(ctx, "bench", c.ID)
			if err != nil || n != meters {
				b.Fatalf("generated %d tasks, %v; want %d", n, err, meters)
			}
		}
	})

	c := newCampaign(b)
	if _, err := svc.GenerateTasks(ctx, "bench", c.ID); err != nil {
		b.Fatal(err)
	}
	start = time.Now()
	inspectFirst(b, db, svc, c, 200_000)
	b.Logf("setup: inspected 200,000 tasks in %v", time.Since(start).Round(time.Millisecond))
	for _, by := range []string{ByDistrict, ByDept} {
		b.Run(by+"_report", func(b *testing.B) {
			if _, err := svc.Report(ctx, c.ID, ReportQuery{By: by}); err != nil { // warm the page cache, as a server's is
				b.Fatal(err)
			}
			for b.Loop() {
				r, err := svc.Report(ctx, c.ID, ReportQuery{By: by})
				if err != nil || r.Total.Tasks != meters || r.Total.Inspected != 200_000 || r.Total.Found != 50_000 {
					b.Fatalf("report total %+v, %v", r.Total, err)
				}
			}
		})
	}
}

// inspectFirst records inspections of the campaign's first n tasks
// straight through the store, every fourth with a failed hose.
func inspectFirst(b *testing.B, db *sqlitestore.DB, svc *Service, c model.Campaign, n int) {
	ctx := context.Background()
	page := store.Page{Limit: 1000}
	var batch []store.Inspection
	for done := 0; done < n; {
		tasks, next, err := db.Tasks(ctx, store.TaskFilter{Campaign: c.ID}, page)
		if err != nil {
			b.Fatal(err)
		}
		page.After = next
		for _, task := range tasks {
			items := answers(nil)
			if done%4 == 0 {
				items = answers(map[string]model.ItemOutcome{"H01": model.OutcomeFail})
			}
			batch = append(batch, svc.build(c, task, Inspection{Inspector: "li.si", At: ms(periodStart.Add(time.Hour)), Items: items}, "li.si", ms(periodStart.Add(2*time.Hour))))
			done++
		}
		if len(batch) >= 10_000 || done >= n {
			errs, err := db.ApplyInspections(ctx, batch)
			if err != nil {
				b.Fatal(err)
			}
			for _, e := range errs {
				if e != nil {
					b.Fatal(e)
				}
			}
			batch = batch[:0]
		}
	}
}

// BenchmarkSubmitBatch10k uploads batches of 10,000 JSON inspections
// (every fourth with a failed item) through the whole path: decoding,
// checks against each task, one transaction with a savepoint per row,
// the audit record. Setup stores 100,000 meters and their tasks.
//
//	go test -run '^$' -bench SubmitBatch10k -benchtime 3x ./campaign/
func BenchmarkSubmitBatch10k(b *testing.B) {
	const meters, rows = 100_000, 10_000
	ctx := context.Background()
	db, err := sqlitestore.Open(filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	units := newBenchUnits()
	grids := units.grids()
	assets := make([]model.Asset, meters)
	for i := range assets {
		assets[i] = model.Asset{ID: fmt.Sprintf("hh-%07d", i), Type: "household_gas_meter", Unit: grids[i%len(grids)], Dept: "gas"}
	}
	if err := db.PutAssets(ctx, assets); err != nil {
		b.Fatal(err)
	}
	clock := &fakeClock{t: periodStart.Add(48 * time.Hour)}
	svc := NewService(db, units, audit.NewLogger(db), clock.Now)
	c, err := svc.CreateCampaign(ctx, "bench", NewCampaign{Name: "批量上传", Domain: "gas", Units: []string{"310000"},
		StartAt: ms(periodStart), EndAt: ms(periodStart.AddDate(0, 3, 0)), Depts: []string{"gas"},
		Checklists: []string{"household_gas"}})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := svc.GenerateTasks(ctx, "bench", c.ID); err != nil {
		b.Fatal(err)
	}
	next := 0
	for b.Loop() {
		b.StopTimer()
		var body bytes.Buffer
		body.WriteByte('[')
		for i := range rows {
			items := answers(nil)
			if i%4 == 0 {
				items = answers(map[string]model.ItemOutcome{"H01": model.OutcomeFail})
			}
			row, _ := json.Marshal(map[string]any{"asset": assets[next].ID, "inspector": "li.si",
				"inspected_at": ms(periodStart.Add(time.Hour)), "items": items})
			if i > 0 {
				body.WriteByte(',')
			}
			body.Write(row)
			next++
		}
		body.WriteByte(']')
		b.StartTimer()
		rep, err := svc.UploadJSON(ctx, "li.si", c.ID, &body)
		if err != nil || rep.Accepted != rows {
			b.Fatalf("accepted %d of %d: %v %+v", rep.Accepted, rows, err, rep.Errors[:min(3, len(rep.Errors))])
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*rows), "µs/row")
}
