package sqlitestore_test

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"cityvitals/model"
	"cityvitals/store"
)

func newTeam(name, dept string) model.Team {
	return model.Team{
		Name:     name,
		Dept:     dept,
		Skills:   []string{"gas", "燃气抢修"},
		Mode:     model.ModeVan,
		Lon:      121.4737,
		Lat:      31.2304,
		Shifts:   []string{"mon-fri 08:00-20:00", "sat,sun 20:00-08:00"},
		Capacity: 3,
	}
}

func TestTeamRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db, _ := mustOpen(t)
	before := time.Now().Add(-time.Second)
	created, err := db.CreateTeam(ctx, newTeam("燃气抢修一队", "gas"))
	mustNil(t, err)
	if created.ID == 0 || created.Version != 1 || created.Created.Before(before) || !created.PositionAt.Equal(created.Created) {
		t.Errorf("CreateTeam returned %+v: want an ID, version 1, and Created = PositionAt = now", created)
	}
	got, err := db.Team(ctx, created.ID)
	mustNil(t, err)
	if !reflect.DeepEqual(got, created) {
		t.Errorf("read back %+v,\nwant %+v", got, created)
	}

	edit := got
	edit.Name, edit.Skills, edit.Shifts, edit.Capacity, edit.Disabled = "燃气抢修二队", nil, nil, 0, true
	edit.Mode, edit.TimeZone = model.ModeBike, "Asia/Urumqi"
	edit.Lon, edit.Lat = 0, 0 // UpdateTeam leaves the position alone
	updated, err := db.UpdateTeam(ctx, edit)
	mustNil(t, err)
	want := edit
	want.Skills, want.Shifts, want.Version = []string{}, []string{}, 2
	want.Lon, want.Lat, want.Updated = got.Lon, got.Lat, updated.Updated
	if !reflect.DeepEqual(updated, want) || updated.Updated.Before(got.Updated) {
		t.Errorf("UpdateTeam returned %+v,\nwant %+v", updated, want)
	}
	reread, err := db.Team(ctx, created.ID)
	mustNil(t, err)
	if !reflect.DeepEqual(reread, updated) {
		t.Errorf("after update read %+v,\nwant %+v", reread, updated)
	}
}

func TestUpdateTeamIsOptimistic(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db, _ := mustOpen(t)
	team, err := db.CreateTeam(ctx, newTeam("A", "gas"))
	mustNil(t, err)

	// Two dispatchers edit the same version at once: exactly one wins.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() {
			edit := team
			edit.Capacity = 10 + i
			_, errs[i] = db.UpdateTeam(ctx, edit)
		})
	}
	wg.Wait()
	codes := []string{model.ErrorCode(errs[0]), model.ErrorCode(errs[1])}
	if !(codes[0] == "" && codes[1] == model.ECONFLICT) && !(codes[1] == "" && codes[0] == model.ECONFLICT) {
		t.Fatalf("concurrent updates of one version returned %v: want one success and one conflict", errs)
	}
	stored, err := db.Team(ctx, team.ID)
	mustNil(t, err)
	winner := 10
	if codes[0] != "" {
		winner = 11
	}
	if stored.Version != 2 || stored.Capacity != winner {
		t.Errorf("stored %+v: want version 2 and the winner's capacity %d", stored, winner)
	}
	if msg := model.ErrorMessage(errs[0]) + model.ErrorMessage(errs[1]); !strings.Contains(msg, "version 2") {
		t.Errorf("conflict message %q should say the team is at version 2", msg)
	}
}

func TestTeamErrors(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db, _ := mustOpen(t)
	team, err := db.CreateTeam(ctx, newTeam("A", "gas"))
	mustNil(t, err)
	with := func(edit func(*model.Team)) model.Team {
		x := newTeam("B", "gas")
		edit(&x)
		return x
	}
	create := func(x model.Team) func() error {
		return func() error { _, err := db.CreateTeam(ctx, x); return err }
	}
	tests := []struct {
		name, code, mention string
		run                 func() error
	}{
		{"same name in department", model.ECONFLICT, `team "A" in department "gas" already exists`, create(newTeam("A", "gas"))},
		{"blank name", model.EINVALID, "name is empty", create(with(func(x *model.Team) { x.Name = " " }))},
		{"unknown mode", model.EINVALID, `mode "boat"`, create(with(func(x *model.Team) { x.Mode = "boat" }))},
		{"NaN lon", model.EINVALID, "lon NaN", create(with(func(x *model.Team) { x.Lon = math.NaN() }))},
		{"lat out of range", model.EINVALID, "lat 91", create(with(func(x *model.Team) { x.Lat = 91 }))},
		{"negative capacity", model.EINVALID, "capacity -1", create(with(func(x *model.Team) { x.Capacity = -1 }))},
		{"blank skill", model.EINVALID, "skills[1]", create(with(func(x *model.Team) { x.Skills = []string{"gas", ""} }))},
		{"bad shift", model.EINVALID, `shifts[0]: shift "mon-fry 08:00-20:00": day "fry"`,
			create(with(func(x *model.Team) { x.Shifts = []string{"mon-fry 08:00-20:00"} }))},
		{"unknown zone", model.EINVALID, `time_zone "Mars/Olympus"`,
			create(with(func(x *model.Team) { x.TimeZone = "Mars/Olympus" }))},
		{"read unknown", model.ENOTFOUND, "team 99 not found", func() error { _, err := db.Team(ctx, 99); return err }},
		{"update unknown", model.ENOTFOUND, "team 99 not found", func() error {
			x := team
			x.ID = 99
			_, err := db.UpdateTeam(ctx, x)
			return err
		}},
		{"update without version", model.EINVALID, "version 0", func() error {
			x := team
			x.Version = 0
			_, err := db.UpdateTeam(ctx, x)
			return err
		}},
		{"update stale version", model.ECONFLICT, "from version 7", func() error {
			x := team
			x.Version = 7
			_, err := db.UpdateTeam(ctx, x)
			return err
		}},
		{"position of unknown", model.ENOTFOUND, "team 99 not found",
			func() error { return db.SetPosition(ctx, 99, 121.5, 31.2, time.Now()) }},
		{"position NaN", model.EINVALID, "lat NaN",
			func() error { return db.SetPosition(ctx, team.ID, 121.5, math.NaN(), time.Now()) }},
		{"position at zero time", model.EINVALID, "not after 1970",
			func() error { return db.SetPosition(ctx, team.ID, 121.5, 31.2, time.Time{}) }},
		{"bad cursor", model.EINVALID, "cursor", func() error {
			_, _, err := db.ListTeams(ctx, store.TeamFilter{}, store.Page{After: "!!"})
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			if got := model.ErrorCode(err); got != tc.code || !strings.Contains(model.ErrorMessage(err), tc.mention) {
				t.Errorf("got %v (code %q), want code %q mentioning %q", err, got, tc.code, tc.mention)
			}
		})
	}
}

func TestSetPositionKeepsNewest(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db, _ := mustOpen(t)
	team, err := db.CreateTeam(ctx, newTeam("A", "gas"))
	mustNil(t, err)
	later := team.PositionAt.Add(time.Minute)
	mustNil(t, db.SetPosition(ctx, team.ID, 121.50, 31.20, later))
	mustNil(t, db.SetPosition(ctx, team.ID, 121.10, 31.10, later.Add(-30*time.Second))) // late GPS report
	got, err := db.Team(ctx, team.ID)
	mustNil(t, err)
	if got.Lon != 121.50 || got.Lat != 31.20 || !got.PositionAt.Equal(later) || got.Version != team.Version {
		t.Errorf("after a newer and an older report: %v,%v at %s version %d; want 121.5,31.2 at %s version %d",
			got.Lon, got.Lat, got.PositionAt, got.Version, later, team.Version)
	}
	// Moving the team does not conflict with an edit made from the version read before.
	team.Capacity = 5
	_, err = db.UpdateTeam(ctx, team)
	mustNil(t, err)
}

func TestListTeams(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db, _ := mustOpen(t)
	var gasIDs, waterIDs, pumpIDs []int64
	for i := range 7 {
		x := newTeam(fmt.Sprintf("gas-%d", i), "gas")
		x.Disabled = i%3 == 0
		created, err := db.CreateTeam(ctx, x)
		mustNil(t, err)
		if !x.Disabled {
			gasIDs = append(gasIDs, created.ID)
		}
		y := newTeam(fmt.Sprintf("water-%d", i), "water")
		y.Skills = []string{"water"}
		if i%2 == 0 {
			y.Skills = append(y.Skills, "pump")
		}
		created, err = db.CreateTeam(ctx, y)
		mustNil(t, err)
		waterIDs = append(waterIDs, created.ID)
		if i%2 == 0 {
			pumpIDs = append(pumpIDs, created.ID)
		}
	}
	tests := []struct {
		name   string
		filter store.TeamFilter
		want   []int64
	}{
		{"enabled gas teams", store.TeamFilter{Dept: "gas", EnabledOnly: true}, gasIDs},
		{"water department", store.TeamFilter{Dept: "water"}, waterIDs},
		{"pump skill", store.TeamFilter{Skill: "pump"}, pumpIDs},
		{"unknown department", store.TeamFilter{Dept: "none"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := listAllTeams(t, db, tc.filter, 2); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("listed %v, want %v", got, tc.want)
			}
		})
	}
}

// listAllTeams pages through a listing limit teams at a time and returns
// the IDs in the order listed.
func listAllTeams(t *testing.T, db store.Teams, f store.TeamFilter, limit int) []int64 {
	t.Helper()
	var ids []int64
	page := store.Page{Limit: limit}
	for range 100 {
		items, next, err := db.ListTeams(t.Context(), f, page)
		mustNil(t, err)
		if len(items) > limit {
			t.Fatalf("page of %d teams, limit %d", len(items), limit)
		}
		for _, x := range items {
			ids = append(ids, x.ID)
		}
		if next == "" {
			return ids
		}
		page.After = next
	}
	t.Fatal("listing did not end after 100 pages")
	return nil
}
