package incident

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"cityvitals/auth"
	"cityvitals/model"
	"cityvitals/store"
)

// Board is the incident board of an area: how many incidents stand at
// each step of the loop, and the running SLA clocks, most urgent first.
type Board struct {
	Steps     map[model.IncidentState]int `json:"steps"`
	Near      int                         `json:"near"`    // a deadline is near
	Overdue   int                         `json:"overdue"` // a deadline has passed (incl. severe)
	Clocks    []BoardClock                `json:"clocks"`  // at most MaxBoardClocks
	Generated int64                       `json:"generated"`
}

// BoardClock is one running SLA clock on the board.
type BoardClock struct {
	ID         int64               `json:"id"`
	Title      string              `json:"title"`
	Category   string              `json:"category"`
	Level      int8                `json:"level"`
	State      model.IncidentState `json:"state"`
	Dept       string              `json:"dept"`
	Unit       string              `json:"unit"`
	Deadline   int64               `json:"deadline"` // the next deadline: response until accepted, then disposal
	Escalation model.Escalation    `json:"escalation"`
	Pending    string              `json:"pending,omitempty"` // kind of a request awaiting approval
}

// MaxBoardClocks bounds the clocks a board lists.
const MaxBoardClocks = 200

// Board counts the incidents of the principal's area (or of under within
// it) by step and lists the running clocks, nearest deadline first.
func (s *Service) Board(ctx context.Context, p auth.Principal, under string) (Board, error) {
	f, err := s.scopeFilter(p, store.IncidentFilter{Under: under})
	if err != nil {
		return Board{}, err
	}
	counts, err := s.boardCounts(ctx, f)
	if err != nil {
		return Board{}, fmt.Errorf("incident board: %w", err)
	}
	clocked, err := s.clockedBoard(ctx)
	if err != nil {
		return Board{}, fmt.Errorf("incident board: %w", err)
	}
	b := Board{Steps: counts, Clocks: []BoardClock{}, Generated: s.now().UnixMilli()}
	for _, c := range clocked {
		if f.Under != "" && !s.under(c.Unit, f.Under) {
			continue
		}
		switch {
		case c.Escalation >= model.EscalationOverdue:
			b.Overdue++
		case c.Escalation == model.EscalationNear:
			b.Near++
		}
		if len(b.Clocks) < MaxBoardClocks {
			b.Clocks = append(b.Clocks, c)
		}
	}
	return b, nil
}

// boardCache keeps what the board reads from the store until an incident
// is next written. Reading and decoding every clocked incident's document
// on each board request was a third of the platform's CPU with 100
// dashboards open. The write generation is read before the store, so a
// write racing a rebuild leaves an entry marked stale, never a stale entry
// marked fresh. A clock's deadline and escalation, and a step count, are
// stored fields, so nothing but a write changes them.
type boardCache struct {
	mu     sync.Mutex
	gen    uint64
	clocks []BoardClock                           // nil until read in gen
	counts map[string]map[model.IncidentState]int // by area (filter's Under)
}

// at moves the cache on to generation gen, dropping what an older one
// left, and reports whether it holds gen (a caller that read the counter
// before a newer caller moved the cache on neither reads nor fills it).
// Call with mu held.
func (c *boardCache) at(gen uint64) bool {
	if gen > c.gen {
		c.gen, c.clocks, c.counts = gen, nil, nil
	}
	return c.gen == gen
}

// boardCounts is the step counts of the filter's area. The maps are
// shared between callers and must not be modified.
func (s *Service) boardCounts(ctx context.Context, f store.IncidentFilter) (map[model.IncidentState]int, error) {
	gen := s.writes.Load()
	c := &s.board
	c.mu.Lock()
	var counts map[model.IncidentState]int
	ok := c.at(gen)
	if ok {
		counts, ok = c.counts[f.Under]
	}
	c.mu.Unlock()
	if ok {
		return counts, nil
	}
	counts, err := s.st.IncidentCounts(ctx, f)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.at(gen) {
		if c.counts == nil {
			c.counts = map[string]map[model.IncidentState]int{}
		}
		c.counts[f.Under] = counts
	}
	c.mu.Unlock()
	return counts, nil
}

// clockedBoard is every running clock, nearest deadline first, shared
// between callers (read only).
func (s *Service) clockedBoard(ctx context.Context) ([]BoardClock, error) {
	gen := s.writes.Load()
	c := &s.board
	c.mu.Lock()
	var clocks []BoardClock
	if c.at(gen) {
		clocks = c.clocks
	}
	c.mu.Unlock()
	if clocks != nil {
		return clocks, nil
	}
	clocked, err := s.st.ClockedIncidents(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]BoardClock, 0, len(clocked))
	for _, inc := range clocked {
		out = append(out, boardClock(inc))
	}
	slices.SortFunc(out, func(x, y BoardClock) int {
		if x.Deadline != y.Deadline {
			return int(x.Deadline - y.Deadline)
		}
		return int(x.ID - y.ID)
	})
	c.mu.Lock()
	if c.at(gen) {
		c.clocks = out
	}
	c.mu.Unlock()
	return out, nil
}

func boardClock(inc model.Incident) BoardClock {
	deadline := inc.Clock.DisposeBy
	if inc.RespondedAt == 0 && inc.Clock.RespondBy > 0 {
		deadline = inc.Clock.RespondBy
	}
	c := BoardClock{ID: inc.ID, Title: inc.Title, Category: inc.Category, Level: inc.Level, State: inc.State,
		Dept: inc.Dept, Unit: inc.Unit, Deadline: deadline, Escalation: inc.Escalation}
	if inc.Pending != nil {
		c.Pending = inc.Pending.Kind
	}
	return c
}
