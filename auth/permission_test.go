package auth

import (
	"testing"

	"cityvitals/model"
)

func TestPolicyAllowed(t *testing.T) {
	t.Parallel()
	// Every role × every permission, spelled out: a change to the table
	// must change this test too.
	type row = map[Permission]bool
	all := func(v bool) row {
		r := row{}
		for _, p := range Permissions() {
			r[p] = v
		}
		return r
	}
	readOnly := row{ObservationRead: true, DatastreamRead: true, UnitRead: true, AssetRead: true, VitalsRead: true, AlertRead: true, IncidentRead: true, ReportRead: true, CampaignRead: true}
	with := func(base row, extra ...Permission) row {
		r := row{}
		for p, v := range base {
			r[p] = v
		}
		for _, p := range extra {
			r[p] = true
		}
		return r
	}
	pol := NewPolicy()
	for _, tc := range []struct {
		name string
		role model.Role
		want row
	}{
		{"admin", model.RoleAdmin, all(true)},
		{"operator", model.RoleOperator, with(readOnly, DatastreamWrite, UnitWrite, AssetWrite, IngestWrite, MetricsRead, IndicatorWrite, AlertAck,
			IncidentReport, IncidentDispatch, IncidentVerify, TeamWrite, PlanWrite, ReportSubmit, PersonalRead, CampaignWrite, HazardVerify, ScenarioRun)},
		{"dispatcher", model.RoleDispatcher, with(readOnly, AlertAck, IncidentReport, IncidentDispatch, TeamWrite)},
		{"field", model.RoleField, with(readOnly, AssetWrite, IngestWrite, IncidentReport, IncidentDispose, InspectionSubmit, HazardRectify)},
		{"viewer", model.RoleViewer, readOnly},
		{"supervisor", model.RoleSupervisor, with(readOnly, AlertAck, IncidentApprove, IncidentVerify, HazardVerify)},
		{"inspector", model.RoleInspector, with(readOnly, IncidentReport, IncidentVerify, InspectionSubmit, HazardVerify)},
		{"citizen", model.RoleCitizen, row{ReportSubmit: true, ReportRead: true}},
		{"unknown role", "root", all(false)},
	} {
		for _, p := range Permissions() {
			t.Run(tc.name+"/"+string(p), func(t *testing.T) {
				if got := pol.Allowed(tc.role, p); got != tc.want[p] {
					t.Fatalf("Allowed(%s, %s) = %v, want %v", tc.role, p, got, tc.want[p])
				}
			})
		}
	}
}

func TestPrincipalCan(t *testing.T) {
	t.Parallel()
	pol := NewPolicy()
	field := model.User{ID: 7, Name: "zhang.wei", Role: model.RoleField, PasswordHash: "$argon2id$secret"}
	disabled := field
	disabled.Disabled = true
	for _, tc := range []struct {
		name      string
		principal Principal
		can       []Permission
		cannot    []Permission
		wantName  string
	}{
		{"field user", pol.UserPrincipal(field, model.TokenSession),
			[]Permission{AssetWrite, IngestWrite, UnitRead}, []Permission{UnitWrite, UserAdmin}, "zhang.wei"},
		{"disabled user", pol.UserPrincipal(disabled, model.TokenAPI),
			nil, []Permission{UnitRead, IngestWrite}, "zhang.wei"},
		{"device", pol.DevicePrincipal("dev-gas-01", false),
			[]Permission{IngestWrite}, []Permission{DatastreamWrite, DatastreamRead, ObservationRead}, "device:dev-gas-01"},
		{"provisioning device", pol.DevicePrincipal("gw-7", true),
			[]Permission{IngestWrite, DatastreamWrite}, []Permission{DatastreamRead, UnitWrite}, "device:gw-7"},
		{"anonymous", Principal{}, nil, Permissions(), "anonymous"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, p := range tc.can {
				if !tc.principal.Can(p) {
					t.Errorf("cannot %s", p)
				}
			}
			for _, p := range tc.cannot {
				if tc.principal.Can(p) {
					t.Errorf("can %s", p)
				}
			}
			if got := tc.principal.Name(); got != tc.wantName {
				t.Errorf("Name() = %q, want %q", got, tc.wantName)
			}
			if u := tc.principal.User; u != nil && u.PasswordHash != "" {
				t.Error("principal keeps the password hash")
			}
		})
	}
}

func TestInScope(t *testing.T) {
	t.Parallel()
	pol := NewPolicy()
	user := func(scope string) Principal {
		return pol.UserPrincipal(model.User{Name: "u", Role: model.RoleViewer, Scope: scope}, model.TokenSession)
	}
	grid := []string{"310000", "310101", "310101002", "310101002001", "310101002001-G01"}
	for _, tc := range []struct {
		name      string
		principal Principal
		path      []string
		want      bool
	}{
		{"whole city sees a grid", user(""), grid, true},
		{"district user sees a grid in it", user("310101"), grid, true},
		{"district user sees the district", user("310101"), grid[:2], true},
		{"district user does not see the city", user("310101"), grid[:1], false},
		{"district user does not see another district", user("310101"), []string{"310000", "310104"}, false},
		{"prefix is not ancestry", user("31010"), grid, false},
		{"street user does not see the district", user("310101002"), grid[:2], false},
		{"device", pol.DevicePrincipal("dev", false), grid, true},
		{"anonymous", Principal{}, grid, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := InScope(tc.principal, tc.path); got != tc.want {
				t.Fatalf("InScope = %v, want %v", got, tc.want)
			}
		})
	}
}
