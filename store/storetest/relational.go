package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"cityvitals/audit"
	"cityvitals/model"
	"cityvitals/store"
)

// Stores bundles the relational stores of one backend. One value may
// implement several of them (store/sqlite's *DB implements all five).
type Stores struct {
	Units       store.Units
	Assets      store.Assets
	Datastreams store.Datastreams
	Users       store.Users
	Audit       store.Audit
}

// Relational runs the contract suite for the relational stores. open must
// return empty stores that live until the end of the (sub)test it is given,
// closing them with t.Cleanup. Subtests run in parallel, each on its own
// stores.
func Relational(t *testing.T, open func(t *testing.T) Stores) {
	t.Helper()
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, s Stores)
	}{
		{"UnitsRoundTrip", testUnitsRoundTrip},
		{"UnitsReplace", testUnitsReplace},
		{"UnitsChildren", testUnitsChildren},
		{"UnitsInvalid", testUnitsInvalid},
		{"AssetsRoundTrip", testAssetsRoundTrip},
		{"AssetsFilterAndPages", testAssetsFilterAndPages},
		{"DatastreamsRoundTrip", testDatastreamsRoundTrip},
		{"DatastreamsKeyConflict", testDatastreamsKeyConflict},
		{"DatastreamsInvalid", testDatastreamsInvalid},
		{"DatastreamsFilterAndPages", testDatastreamsFilterAndPages},
		{"DatastreamsEach", testDatastreamsEach},
		{"DatastreamsSetUnits", testDatastreamsSetUnits},
		{"Users", testUsers},
		{"Tokens", testTokens},
		{"AuditChain", testAuditChain},
		{"AuditConcurrentAppends", testAuditConcurrentAppends},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, open(t))
		})
	}
}

// at returns a fixed instant with nanoseconds: stores must keep times exactly.
func at() time.Time { return time.Date(2025, 7, 14, 9, 30, 15, 123456789, time.UTC) }

func square(lon, lat, size float64) orb.Polygon {
	return orb.Polygon{{{lon, lat}, {lon + size, lat}, {lon + size, lat + size}, {lon, lat + size}, {lon, lat}}}
}

// unitTree is a small piece of Shanghai: city › Huangpu › one street ›
// one community › two grids, and a second district.
func unitTree() []model.Unit {
	return []model.Unit{
		{Code: "310000", Level: model.LevelCity, NameZH: "上海市", NameEN: "Shanghai",
			Geometry: orb.MultiPolygon{square(120.8, 30.6, 1.2)}},
		{Code: "310101", Parent: "310000", Level: model.LevelDistrict, NameZH: "黄浦区", NameEN: "Huangpu",
			Geometry: orb.MultiPolygon{square(121.46, 31.19, 0.06), square(121.53, 31.20, 0.01)}},
		{Code: "310104", Parent: "310000", Level: model.LevelDistrict, NameZH: "徐汇区", NameEN: "Xuhui",
			Geometry: orb.MultiPolygon{square(121.40, 31.12, 0.08)}},
		{Code: "310101002", Parent: "310101", Level: model.LevelStreet, NameZH: "南京东路街道",
			Geometry: orb.MultiPolygon{square(121.47, 31.23, 0.02)}},
		{Code: "310101002001", Parent: "310101002", Level: model.LevelCommunity, NameZH: "贵州路居委会"},
		{Code: "310101002001-G01", Parent: "310101002001", Level: model.LevelGrid, NameZH: "网格一",
			Geometry: orb.MultiPolygon{square(121.475, 31.235, 0.002)}},
		{Code: "310101002001-G02", Parent: "310101002001", Level: model.LevelGrid, NameZH: "网格二",
			Geometry: orb.MultiPolygon{square(121.477, 31.235, 0.002)}},
	}
}

func testUnitsRoundTrip(t *testing.T, s Stores) {
	ctx := t.Context()
	units := unitTree()
	mustNil(t, s.Units.PutUnits(ctx, units))
	for _, want := range units {
		got, err := s.Units.Unit(ctx, want.Code)
		mustNil(t, err)
		mustEqual(t, "Unit("+want.Code+")", got, want)
	}
	all, err := s.Units.AllUnits(ctx)
	mustNil(t, err)
	mustEqual(t, "AllUnits codes", sorted(unitCodes(all)), sorted(unitCodes(units)))
	_, err = s.Units.Unit(ctx, "319999")
	mustCode(t, err, model.ENOTFOUND)
}

func testUnitsReplace(t *testing.T, s Stores) {
	ctx := t.Context()
	mustNil(t, s.Units.PutUnits(ctx, unitTree()))
	renamed := unitTree()[1]
	renamed.NameEN, renamed.Geometry = "Huangpu District", orb.MultiPolygon{square(121.0, 31.0, 0.5)}
	mustNil(t, s.Units.PutUnits(ctx, []model.Unit{renamed}))
	got, err := s.Units.Unit(ctx, renamed.Code)
	mustNil(t, err)
	mustEqual(t, "replaced unit", got, renamed)
	all, err := s.Units.AllUnits(ctx)
	mustNil(t, err)
	mustEqual(t, "unit count after replace", len(all), len(unitTree()))
}

func testUnitsChildren(t *testing.T, s Stores) {
	ctx := t.Context()
	mustNil(t, s.Units.PutUnits(ctx, unitTree()))
	for _, tc := range []struct {
		name, parent string
		want         []string
	}{
		{"roots", "", []string{"310000"}},
		{"districts of the city", "310000", []string{"310101", "310104"}},
		{"grids of a community", "310101002001", []string{"310101002001-G01", "310101002001-G02"}},
		{"leaf", "310101002001-G01", nil},
		{"unknown parent", "999999", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Units.Children(ctx, tc.parent)
			mustNil(t, err)
			mustEqual(t, "children of "+tc.parent, unitCodes(got), tc.want)
		})
	}
}

func testUnitsInvalid(t *testing.T, s Stores) {
	ctx := t.Context()
	for _, tc := range []struct {
		name string
		unit model.Unit
	}{
		{"empty code", model.Unit{Level: model.LevelGrid}},
		{"unknown level", model.Unit{Code: "310101", Level: "province"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Units.PutUnits(ctx, []model.Unit{unitTree()[0], tc.unit})
			mustCode(t, err, model.EINVALID)
			all, err := s.Units.AllUnits(ctx)
			mustNil(t, err)
			mustEqual(t, "units stored after a rejected batch", len(all), 0)
		})
	}
}

func sorted(s []string) []string {
	slices.Sort(s)
	return s
}

func unitCodes(units []model.Unit) []string {
	var codes []string
	for _, u := range units {
		codes = append(codes, u.Code)
	}
	return codes
}

func testAssetsRoundTrip(t *testing.T, s Stores) {
	ctx := t.Context()
	assets := []model.Asset{
		{ID: "GV-0001", Type: "gas_valve", NameZH: "燃气阀门", NameEN: "Gas valve", Dept: "SHGAS",
			Unit: "310101002001-G01", Status: "intact", Attrs: map[string]string{"dn": "150", "material": "PE"},
			Geometry: orb.Point{121.4761, 31.2361}, UpdatedAt: at()},
		{ID: "GP-0001", Type: "gas_pipe", Unit: "310101002001-G01",
			Geometry: orb.LineString{{121.4750, 31.2350}, {121.4770, 31.2360}, {121.4790, 31.2365}}, UpdatedAt: at()},
		{ID: "MH-0001", Type: "manhole", UpdatedAt: at()}, // no geometry, no attrs
	}
	mustNil(t, s.Assets.PutAssets(ctx, assets))
	for _, want := range assets {
		got, err := s.Assets.Asset(ctx, want.ID)
		mustNil(t, err)
		mustEqual(t, "Asset("+want.ID+")", got, want)
	}
	_, err := s.Assets.Asset(ctx, "GV-9999")
	mustCode(t, err, model.ENOTFOUND)

	broken := assets[0]
	broken.Status, broken.UpdatedAt = "broken", at().Add(time.Hour)
	mustNil(t, s.Assets.PutAssets(ctx, []model.Asset{broken}))
	got, err := s.Assets.Asset(ctx, broken.ID)
	mustNil(t, err)
	mustEqual(t, "replaced asset", got, broken)

	mustCode(t, s.Assets.PutAssets(ctx, []model.Asset{{ID: "X-1"}}), model.EINVALID)
}

func testAssetsFilterAndPages(t *testing.T, s Stores) {
	ctx := t.Context()
	var assets []model.Asset
	for i := range 57 {
		typ, unit := model.AssetType("manhole"), "G01"
		if i%3 == 0 {
			typ = "hydrant"
		}
		if i%2 == 0 {
			unit = "G02"
		}
		assets = append(assets, model.Asset{ID: fmt.Sprintf("A-%03d", i), Type: typ, Unit: unit, UpdatedAt: at()})
	}
	mustNil(t, s.Assets.PutAssets(ctx, assets))
	for _, tc := range []struct {
		name   string
		filter store.AssetFilter
		limit  int
	}{
		{"all, small pages", store.AssetFilter{}, 5},
		{"all, default page", store.AssetFilter{}, 0},
		{"by type", store.AssetFilter{Type: "hydrant"}, 4},
		{"by unit", store.AssetFilter{Unit: "G02"}, 7},
		{"by type and unit", store.AssetFilter{Type: "manhole", Unit: "G01"}, 3},
		{"no match", store.AssetFilter{Type: "bridge"}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want []string
			for _, a := range assets {
				if (tc.filter.Type == "" || a.Type == tc.filter.Type) && (tc.filter.Unit == "" || a.Unit == tc.filter.Unit) {
					want = append(want, a.ID)
				}
			}
			got := walkPages(t, tc.limit, func(p store.Page) ([]string, string, error) {
				items, next, err := s.Assets.Assets(ctx, tc.filter, p)
				var ids []string
				for _, a := range items {
					ids = append(ids, a.ID)
				}
				return ids, next, err
			})
			mustEqual(t, "asset ids over all pages", got, want)
		})
	}
	_, _, err := s.Assets.Assets(ctx, store.AssetFilter{}, store.Page{After: "%%not a cursor%%"})
	mustCode(t, err, model.EINVALID)
}

// walkPages follows cursors from the first page to the last, checking that
// no page is larger than limit (when set) and no item comes twice.
func walkPages[K comparable](t *testing.T, limit int, page func(store.Page) ([]K, string, error)) []K {
	t.Helper()
	var all []K
	seen := map[K]bool{}
	p := store.Page{Limit: limit}
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("pagination does not end")
		}
		items, next, err := page(p)
		mustNil(t, err)
		if limit > 0 && len(items) > limit {
			t.Fatalf("page has %d items, limit %d", len(items), limit)
		}
		for _, k := range items {
			if seen[k] {
				t.Fatalf("item %v returned twice", k)
			}
			seen[k] = true
		}
		all = append(all, items...)
		if next == "" {
			return all
		}
		if len(items) == 0 {
			t.Fatal("empty page with a next cursor")
		}
		p.After = next
	}
}

func sampleStreams() []model.Datastream {
	return []model.Datastream{
		{Key: "gas/GV-0001/lel", Name: "阀门井可燃气体浓度", Property: "gas_lel", UoM: "%LEL",
			Interval: 30 * time.Second, Device: "dev-gas-01", Asset: "GV-0001",
			Lon: 121.4761, Lat: 31.2361, HasPoint: true, Unit: "310101002001-G01", Created: at()},
		{Key: "water/WL-07/level", Property: "water_level", UoM: "m", Interval: 5 * time.Minute,
			Device: "dev-wl-07", Unit: "310104", Created: at()},
		{Property: "manhole_tilt", UoM: "deg", Interval: 1500 * time.Millisecond, Created: at()}, // no key, no point
		{Property: "manhole_tilt", UoM: "deg", Created: at()},                                    // a second keyless stream
	}
}

func testDatastreamsRoundTrip(t *testing.T, s Stores) {
	ctx := t.Context()
	in := sampleStreams()
	created, err := s.Datastreams.CreateDatastreams(ctx, in)
	mustNil(t, err)
	mustEqual(t, "created count", len(created), len(in))
	ids := map[int64]bool{}
	for i, got := range created {
		if got.ID <= 0 || ids[got.ID] {
			t.Fatalf("stream %d got id %d: want a new positive id", i, got.ID)
		}
		ids[got.ID] = true
		want := in[i]
		want.ID = got.ID
		mustEqual(t, "created stream", got, want)
		read, err := s.Datastreams.Datastream(ctx, got.ID)
		mustNil(t, err)
		mustEqual(t, "read stream", read, want)
	}
	_, err = s.Datastreams.Datastream(ctx, 1<<40)
	mustCode(t, err, model.ENOTFOUND)

	stamped, err := s.Datastreams.CreateDatastreams(ctx, []model.Datastream{{Property: "noise", UoM: "dB"}})
	mustNil(t, err)
	if stamped[0].Created.IsZero() {
		t.Error("Created was not stamped on a stream created without it")
	}
}

func testDatastreamsKeyConflict(t *testing.T, s Stores) {
	ctx := t.Context()
	_, err := s.Datastreams.CreateDatastreams(ctx, sampleStreams()[:1])
	mustNil(t, err)
	fresh := model.Datastream{Key: "fresh", Property: "noise", UoM: "dB"}
	for _, tc := range []struct {
		name string
		ds   []model.Datastream
	}{
		{"key taken by a stored stream", []model.Datastream{fresh, sampleStreams()[0]}},
		{"key twice in one batch", []model.Datastream{fresh, {Key: "dup", Property: "p"}, {Key: "dup", Property: "p"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Datastreams.CreateDatastreams(ctx, tc.ds)
			mustCode(t, err, model.ECONFLICT)
			mustEqual(t, "stream count after a rejected batch", countStreams(t, s.Datastreams), 1)
		})
	}
}

func testDatastreamsInvalid(t *testing.T, s Stores) {
	ctx := t.Context()
	for _, tc := range []struct {
		name string
		ds   model.Datastream
	}{
		{"no property", model.Datastream{Key: "k", UoM: "m"}},
		{"negative interval", model.Datastream{Property: "p", Interval: -time.Second}},
		{"longitude out of range", model.Datastream{Property: "p", Lon: 200, Lat: 31, HasPoint: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Datastreams.CreateDatastreams(ctx, []model.Datastream{sampleStreams()[1], tc.ds})
			mustCode(t, err, model.EINVALID)
			mustEqual(t, "stream count after a rejected batch", countStreams(t, s.Datastreams), 0)
		})
	}
}

func countStreams(t *testing.T, ds store.Datastreams) int {
	t.Helper()
	n := 0
	mustNil(t, ds.EachDatastream(t.Context(), func(model.Datastream) error { n++; return nil }))
	return n
}

func testDatastreamsFilterAndPages(t *testing.T, s Stores) {
	ctx := t.Context()
	var in []model.Datastream
	for i := range 43 {
		in = append(in, model.Datastream{
			Key:      fmt.Sprintf("s-%02d", i),
			Property: []string{"gas_lel", "water_level", "noise"}[i%3],
			Unit:     []string{"G01", "G02"}[i%2],
			Asset:    fmt.Sprintf("A-%d", i%5),
			Device:   fmt.Sprintf("dev-%d", i%4),
		})
	}
	created, err := s.Datastreams.CreateDatastreams(ctx, in)
	mustNil(t, err)
	for _, tc := range []struct {
		name   string
		filter store.DatastreamFilter
		limit  int
	}{
		{"all, small pages", store.DatastreamFilter{}, 4},
		{"all, default page", store.DatastreamFilter{}, 0},
		{"by property", store.DatastreamFilter{Property: "noise"}, 2},
		{"by unit", store.DatastreamFilter{Unit: "G01"}, 5},
		{"by asset", store.DatastreamFilter{Asset: "A-3"}, 3},
		{"by device and property", store.DatastreamFilter{Device: "dev-1", Property: "water_level"}, 1},
		{"no match", store.DatastreamFilter{Unit: "G99"}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want []int64
			for _, d := range created {
				if streamMatches(d, tc.filter) {
					want = append(want, d.ID)
				}
			}
			got := walkPages(t, tc.limit, func(p store.Page) ([]int64, string, error) {
				items, next, err := s.Datastreams.Datastreams(ctx, tc.filter, p)
				var ids []int64
				for _, d := range items {
					ids = append(ids, d.ID)
				}
				return ids, next, err
			})
			mustEqual(t, "stream ids over all pages", got, want)
		})
	}
	_, _, err = s.Datastreams.Datastreams(ctx, store.DatastreamFilter{}, store.Page{After: "!"})
	mustCode(t, err, model.EINVALID)
}

func streamMatches(d model.Datastream, f store.DatastreamFilter) bool {
	return (f.Property == "" || d.Property == f.Property) && (f.Unit == "" || d.Unit == f.Unit) &&
		(f.Asset == "" || d.Asset == f.Asset) && (f.Device == "" || d.Device == f.Device)
}

func testDatastreamsEach(t *testing.T, s Stores) {
	ctx := t.Context()
	var in []model.Datastream
	for i := range 250 {
		in = append(in, model.Datastream{Key: fmt.Sprintf("each-%d", i), Property: "gas_lel", Created: at()})
	}
	created, err := s.Datastreams.CreateDatastreams(ctx, in)
	mustNil(t, err)
	var got []model.Datastream
	mustNil(t, s.Datastreams.EachDatastream(ctx, func(d model.Datastream) error {
		got = append(got, d)
		return nil
	}))
	mustEqual(t, "EachDatastream in ID order", got, created)

	stop := errors.New("enough")
	calls := 0
	err = s.Datastreams.EachDatastream(ctx, func(model.Datastream) error {
		calls++
		if calls == 10 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatalf("EachDatastream returned %v, want the callback's error", err)
	}
	mustEqual(t, "calls before stopping", calls, 10)
}

func testDatastreamsSetUnits(t *testing.T, s Stores) {
	ctx := t.Context()
	created, err := s.Datastreams.CreateDatastreams(ctx, sampleStreams())
	mustNil(t, err)
	moves := map[int64]string{created[0].ID: "310101002001-G02", created[2].ID: "310104"}
	mustNil(t, s.Datastreams.SetDatastreamUnits(ctx, moves))
	for _, d := range created {
		want := d.Unit
		if u, ok := moves[d.ID]; ok {
			want = u
		}
		got, err := s.Datastreams.Datastream(ctx, d.ID)
		mustNil(t, err)
		mustEqual(t, fmt.Sprintf("unit of stream %d", d.ID), got.Unit, want)
	}

	err = s.Datastreams.SetDatastreamUnits(ctx, map[int64]string{created[1].ID: "G77", 1 << 40: "G77"})
	mustCode(t, err, model.ENOTFOUND)
	got, err := s.Datastreams.Datastream(ctx, created[1].ID)
	mustNil(t, err)
	mustEqual(t, "unit after a rejected re-homing", got.Unit, created[1].Unit)
}

func testUsers(t *testing.T, s Stores) {
	ctx := t.Context()
	in := []model.User{
		{Name: "admin", Role: model.RoleAdmin, PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", Created: at()},
		{Name: "zhang.wei", Role: model.RoleField, Dept: "HP-CG", Scope: "310101", Created: at(), Disabled: true},
	}
	var created []model.User
	for _, u := range in {
		got, err := s.Users.CreateUser(ctx, u)
		mustNil(t, err)
		if got.ID <= 0 {
			t.Fatalf("user %q got id %d", u.Name, got.ID)
		}
		u.ID = got.ID
		mustEqual(t, "created user", got, u)
		created = append(created, got)
	}
	for _, want := range created {
		byName, err := s.Users.UserByName(ctx, want.Name)
		mustNil(t, err)
		mustEqual(t, "UserByName", byName, want)
		byID, err := s.Users.UserByID(ctx, want.ID)
		mustNil(t, err)
		mustEqual(t, "UserByID", byID, want)
	}
	all, err := s.Users.ListUsers(ctx)
	mustNil(t, err)
	mustEqual(t, "ListUsers", all, created)

	_, err = s.Users.CreateUser(ctx, model.User{Name: "admin", Role: model.RoleViewer})
	mustCode(t, err, model.ECONFLICT)
	_, err = s.Users.CreateUser(ctx, model.User{Name: "nobody", Role: "root"})
	mustCode(t, err, model.EINVALID)
	_, err = s.Users.UserByName(ctx, "li.na")
	mustCode(t, err, model.ENOTFOUND)
	_, err = s.Users.UserByID(ctx, 1<<40)
	mustCode(t, err, model.ENOTFOUND)
}

func testTokens(t *testing.T, s Stores) {
	ctx := t.Context()
	u, err := s.Users.CreateUser(ctx, model.User{Name: "operator", Role: model.RoleOperator})
	mustNil(t, err)
	in := []model.Token{
		{Kind: model.TokenSession, Hash: bytesOf(1), UserID: u.ID, Name: "login", Expires: at().Add(12 * time.Hour), Created: at()},
		{Kind: model.TokenAPI, Hash: bytesOf(2), UserID: u.ID, Name: "dashboard script", Created: at()},
		{Kind: model.TokenDevice, Hash: bytesOf(3), Device: "dev-gas-01", Provision: true, Name: "gateway", Created: at()},
	}
	for _, tok := range in {
		got, err := s.Users.CreateToken(ctx, tok)
		mustNil(t, err)
		tok.ID = got.ID
		mustEqual(t, "created token", got, tok)
		read, err := s.Users.TokenByHash(ctx, tok.Hash)
		mustNil(t, err)
		mustEqual(t, "TokenByHash", read, tok)
	}
	for _, tc := range []struct {
		name  string
		token model.Token
		code  string
	}{
		{"hash taken", model.Token{Kind: model.TokenDevice, Hash: bytesOf(3), Device: "d2"}, model.ECONFLICT},
		{"unknown user", model.Token{Kind: model.TokenAPI, Hash: bytesOf(4), UserID: 1 << 40}, model.ENOTFOUND},
		{"session without user", model.Token{Kind: model.TokenSession, Hash: bytesOf(5)}, model.EINVALID},
		{"unknown kind", model.Token{Kind: "master", Hash: bytesOf(6), UserID: u.ID}, model.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Users.CreateToken(ctx, tc.token)
			mustCode(t, err, tc.code)
		})
	}
	_, err = s.Users.TokenByHash(ctx, bytesOf(9))
	mustCode(t, err, model.ENOTFOUND)

	first, err := s.Users.TokenByHash(ctx, bytesOf(1))
	mustNil(t, err)
	mustNil(t, s.Users.DeleteToken(ctx, first.ID))
	_, err = s.Users.TokenByHash(ctx, bytesOf(1))
	mustCode(t, err, model.ENOTFOUND)
	mustCode(t, s.Users.DeleteToken(ctx, first.ID), model.ENOTFOUND)
}

// bytesOf returns a 32-byte value standing in for a token hash.
func bytesOf(b byte) []byte {
	h := make([]byte, 32)
	for i := range h {
		h[i] = b + byte(i)
	}
	return h
}

func testAuditChain(t *testing.T, s Stores) {
	ctx := t.Context()
	in := []model.AuditRecord{
		{Time: at(), Actor: "admin", Action: "user.create", Target: "user:zhang.wei", Detail: `{"role":"field"}`},
		{Time: at().Add(time.Second), Actor: "device:dev-gas-01", Action: "datastream.create", Target: "datastream:7"},
		{Time: at().Add(2 * time.Second), Actor: "admin", Action: "token.delete", Target: "token:3",
			Seq: 99, PrevHash: []byte("ignored"), Hash: []byte("ignored")},
	}
	var appended []model.AuditRecord
	var prev []byte
	for i, r := range in {
		got, err := s.Audit.AppendAudit(ctx, r)
		mustNil(t, err)
		want := r
		want.Seq, want.PrevHash = int64(i+1), prev
		want.Hash = audit.Hash(prev, want)
		mustEqual(t, "appended record", got, want)
		appended = append(appended, got)
		prev = got.Hash
	}
	var read []model.AuditRecord
	mustNil(t, s.Audit.EachAudit(ctx, func(r model.AuditRecord) error {
		read = append(read, r)
		return nil
	}))
	mustEqual(t, "EachAudit", read, appended)

	rep, err := audit.Verify(ctx, s.Audit)
	mustNil(t, err)
	if !rep.OK() || rep.Records != 3 || rep.LastSeq != 3 {
		t.Fatalf("Verify = %+v (first break %+v), want an intact chain of 3", rep, rep.First)
	}
}

func testAuditConcurrentAppends(t *testing.T, s Stores) {
	ctx := t.Context()
	const writers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				_, err := s.Audit.AppendAudit(ctx, model.AuditRecord{
					Actor: fmt.Sprintf("writer-%d", w), Action: "asset.update", Target: fmt.Sprintf("asset:%d", i)})
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		mustNil(t, err)
	}
	rep, err := audit.Verify(ctx, s.Audit)
	mustNil(t, err)
	if !rep.OK() || rep.Records != writers*each {
		t.Fatalf("Verify = %+v (first break %+v), want an intact chain of %d", rep, rep.First, writers*each)
	}
}

func mustNil(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func mustCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := model.ErrorCode(err); got != code {
		t.Fatalf("error %v has code %q, want %q", err, got, code)
	}
}

func mustEqual[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got  %+v\n want %+v", what, got, want)
	}
}
