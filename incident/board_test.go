package incident

import (
	"context"
	"testing"
	"time"

	"cityvitals/model"
)

// TestBoardFollowsEveryWrite reads the board between writes: its clocks
// are kept between requests, so every write that adds, changes or stops
// a clock must show on the very next read.
func TestBoardFollowsEveryWrite(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	viewer := f.user("v", model.RoleViewer, "", "")
	board := func() Board {
		t.Helper()
		b, err := f.svc.Board(ctx, viewer, "")
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if b := board(); len(b.Clocks) != 0 {
		t.Fatalf("empty platform: clocks %+v", b.Clocks)
	}
	inc := f.dispatched(t, "gas_leak", "gas")
	if b := board(); len(b.Clocks) != 1 || b.Clocks[0].ID != inc.ID || b.Near != 0 {
		t.Fatalf("after dispatch: %+v, want the incident's clock", b)
	}
	f.now.Advance(12 * time.Minute)
	if _, err := f.svc.Escalate(ctx); err != nil {
		t.Fatal(err)
	}
	if b := board(); len(b.Clocks) != 1 || b.Near != 1 || b.Clocks[0].Escalation != model.EscalationNear {
		t.Fatalf("after escalation: %+v, want the clock near its deadline", b)
	}
	second := f.dispatched(t, "gas_leak", "gas")
	if b := board(); len(b.Clocks) != 2 || b.Clocks[0].ID != inc.ID || b.Clocks[1].ID != second.ID ||
		b.Steps[model.IncidentDispatched] != 2 {
		t.Fatalf("after a second dispatch: %+v, want both clocks, nearest deadline first, and 2 dispatched", b)
	}
	// Accepting moves the first clock from its response deadline to the
	// later disposal one: it now ranks after the second.
	f.act(t, f.user("wang.gas", model.RoleField, "gas", ""), inc.ID, Command{Action: "accept"})
	if b := board(); len(b.Clocks) != 2 || b.Clocks[0].ID != second.ID || b.Clocks[1].ID != inc.ID ||
		b.Steps[model.IncidentDispatched] != 1 || b.Steps[model.IncidentDisposing] != 1 {
		t.Fatalf("after accepting the first: %+v, want the second's response deadline first, 1 dispatched, 1 disposing", b)
	}
	if b, _ := f.svc.Board(ctx, viewer, "310101002"); len(b.Clocks) != 2 || b.Steps[model.IncidentDisposing] != 1 {
		t.Fatalf("under the incidents' street: %+v, want both", b)
	}
	if b, _ := f.svc.Board(ctx, viewer, "310115"); len(b.Clocks) != 0 || len(b.Steps) != 0 {
		t.Fatalf("under another district: %+v, want none", b)
	}
	// Counts are kept per area: the street's did not stand in for the
	// district's, and a write moves both on.
	f.act(t, f.user("wang.gas", model.RoleField, "gas", ""), second.ID, Command{Action: "accept"})
	for _, under := range []string{"", "310101002", "310101"} {
		if b, _ := f.svc.Board(ctx, viewer, under); b.Steps[model.IncidentDisposing] != 2 || b.Steps[model.IncidentDispatched] != 0 {
			t.Fatalf("board under %q after the second accept: steps %v, want 2 disposing", under, b.Steps)
		}
	}
}
