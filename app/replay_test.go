package app_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cityvitals/app"
	"cityvitals/engine"
	"cityvitals/model"
	"cityvitals/obsimport"
	"cityvitals/replay"
)

const dongsiCSV = "../../shared/data/airquality/beijing_prsa/PRSA_Data_Dongsi_20130301-20170228.csv"

// firstRows writes the header and the first n rows of a CSV to a new file.
func firstRows(t *testing.T, path string, n int) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := filepath.Join(t.TempDir(), filepath.Base(path))
	var b strings.Builder
	sc := bufio.NewScanner(f)
	for i := 0; i <= n && sc.Scan(); i++ {
		b.WriteString(sc.Text())
		b.WriteByte('\n')
	}
	if err := os.WriteFile(out, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return out
}

// ensurer registers import streams through the inventory, as the import
// command does.
type ensurer struct{ core *app.Core }

func (e ensurer) Ensure(ctx context.Context, spec obsimport.StreamSpec) (int64, error) {
	ds, err := e.core.Inventory.EnsureDatastream(ctx, "test", model.Datastream{
		Key: spec.Key, Name: spec.Name, Property: spec.Property, UoM: spec.UoM, Interval: spec.Interval,
		Lon: spec.Lon, Lat: spec.Lat, HasPoint: spec.HasPoint,
	})
	return ds.ID, err
}

// TestReplayEqualsLive feeds half a year of real Beijing air-quality data
// to a running platform over HTTP, in event-time order a day at a time as
// a live feed would arrive, then replays the same file through a fresh
// engine at full speed: the level changes and the final vital signs must
// be identical.
func TestReplayEqualsLive(t *testing.T) {
	csv := firstRows(t, dongsiCSV, 24*183)
	mapping, err := obsimport.LoadMapping("../examples/import/beijing_prsa.yaml")
	if err != nil {
		t.Fatal(err)
	}
	h := startAppWith(t, func(c *app.Config) { c.Ingest.MaxPast = 20 * 365 * 24 * time.Hour })
	var live []engine.LevelChange
	h.app.Engine.Subscribe(func(c engine.LevelChange) { live = append(live, c) })

	ctx := context.Background()
	ids := map[*obsimport.StreamSpec]int64{}
	var day strings.Builder
	dayOf := int64(-1)
	post := func() {
		if day.Len() > 0 {
			h.do(h.device, "POST", "/api/v1/observations", day.String(), 200, nil)
			day.Reset()
		}
	}
	_, err = mapping.Read(ctx, []string{csv}, func(r *obsimport.Record) error {
		if d := r.Time / (24 * 3600 * 1000); d != dayOf {
			post()
			dayOf = d
		}
		for _, rd := range r.Readings {
			id, ok := ids[rd.Stream]
			if !ok {
				if id, err = (ensurer{h.app.Core}).Ensure(ctx, *rd.Stream); err != nil {
					return err
				}
				ids[rd.Stream] = id
			}
			fmt.Fprintf(&day, `{"datastream":%d,"time":%d,"value":%g}`+"\n", id, r.Time, rd.Value)
		}
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	post()
	h.app.Engine.Flush() // the end of the live feed, as at shutdown

	core, err := app.OpenCore(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer core.Close()
	cat, err := core.DefaultCatalog()
	if err != nil {
		t.Fatal(err)
	}
	eng, err := core.NewEngine(engine.Config{}, cat)
	if err != nil {
		t.Fatal(err)
	}
	var replayed []engine.LevelChange
	eng.Subscribe(func(c engine.LevelChange) { replayed = append(replayed, c) })
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go eng.Run(runCtx)
	if _, _, err := replay.Files(ctx, eng, mapping, []string{csv}, ensurer{core}, nil); err != nil {
		t.Fatal(err)
	}

	if len(live) < 10 {
		t.Fatalf("live produced only %d level changes: the data did not exercise the catalog", len(live))
	}
	if len(live) != len(replayed) {
		t.Fatalf("live produced %d level changes, replay %d", len(live), len(replayed))
	}
	for i := range live {
		if live[i] != replayed[i] {
			t.Fatalf("level change %d differs:\nlive   %+v\nreplay %+v", i, live[i], replayed[i])
		}
	}
	liveSigns, _ := h.app.Engine.Signs("")
	replaySigns, _ := eng.Signs("")
	if fmt.Sprint(liveSigns) != fmt.Sprint(replaySigns) {
		t.Fatalf("final city signs differ:\nlive   %+v\nreplay %+v", liveSigns, replaySigns)
	}
	t.Logf("%d level changes, identical live and replayed", len(live))
}
