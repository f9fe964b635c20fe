package incident

import (
	"context"
	"fmt"
	"slices"
	"time"

	"cityvitals/auth"
	"cityvitals/model"
	"cityvitals/store"
)

// Comprehensive evaluation (综合评价) of how departments or districts
// handled the incidents created in a period. The rates are those of
// digital city management practice (see ../shared/design/CN_REFERENCE.md):
//
//	处置率 disposal rate          = disposed / dispatched
//	按期处置率 on-time disposal    = disposed by the deadline / due to dispose
//	结案率 close rate             = closed / dispatched
//	按期结案率 on-time close       = closed, disposed on time and not reworked / dispatched
//	返工率 rework rate            = reworked / dispatched
//	延期率 extension rate         = extended / dispatched
//	准确派遣率 correct dispatch    = (dispatched − returned) / dispatched
//	超期待处置率 overdue open      = open and overdue / open and dispatched
//
// "Dispatched" counts incidents that ever reached a department; "due to
// dispose" those disposed plus those whose disposal deadline passed
// before the evaluation time. A rate with nothing to count is absent.

// EvaluationRow is one department's or district's figures.
type EvaluationRow struct {
	Key            string             `json:"key"` // department id or district code
	Created        int                `json:"created"`
	Dispatched     int                `json:"dispatched"`
	Disposed       int                `json:"disposed"`
	DisposedOnTime int                `json:"disposed_on_time"`
	DueToDispose   int                `json:"due_to_dispose"`
	Closed         int                `json:"closed"`
	ClosedOnTime   int                `json:"closed_on_time"`
	Reworked       int                `json:"reworked"`
	Extended       int                `json:"extended"`
	Returned       int                `json:"returned"`
	Open           int                `json:"open"`
	OpenOverdue    int                `json:"open_overdue"`
	Rates          map[string]float64 `json:"rates"`
}

// Evaluation is the evaluation of a period.
type Evaluation struct {
	From  int64           `json:"from"`
	To    int64           `json:"to"`
	By    string          `json:"by"` // dept | district
	At    int64           `json:"at"`
	Rows  []EvaluationRow `json:"rows"`
	Total EvaluationRow   `json:"total"`
}

// MaxEvaluated bounds the incidents one evaluation reads.
const MaxEvaluated = 200_000

// Evaluate computes the evaluation of the incidents created in [from, to)
// in the principal's area, grouped by "dept" or "district".
func (s *Service) Evaluate(ctx context.Context, p auth.Principal, from, to time.Time, by string) (Evaluation, error) {
	if by != "dept" && by != "district" {
		return Evaluation{}, model.Errorf(model.EINVALID, "by: %q is not dept or district", clip(by))
	}
	if !from.Before(to) {
		return Evaluation{}, model.Errorf(model.EINVALID, "period: from %s is not before to %s", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	f, err := s.scopeFilter(p, store.IncidentFilter{CreatedFrom: from.UnixMilli(), CreatedTo: to.UnixMilli()})
	if err != nil {
		return Evaluation{}, err
	}
	now := s.now().UnixMilli()
	ev := Evaluation{From: from.UnixMilli(), To: to.UnixMilli(), By: by, At: now, Total: EvaluationRow{Key: "total"}}
	rows := map[string]*EvaluationRow{}
	n := 0
	for pg := (store.Page{Limit: 1000}); ; {
		items, next, err := s.st.Incidents(ctx, f, pg)
		if err != nil {
			return ev, fmt.Errorf("evaluate: %w", err)
		}
		for _, inc := range items {
			key := s.evaluationKey(inc, by)
			row := rows[key]
			if row == nil {
				row = &EvaluationRow{Key: key}
				rows[key] = row
			}
			count(row, inc, now)
			count(&ev.Total, inc, now)
		}
		if n += len(items); n > MaxEvaluated {
			return ev, model.Errorf(model.ETOOLARGE, "period holds more than %d incidents: evaluate a shorter one", MaxEvaluated)
		}
		if next == "" {
			break
		}
		pg.After = next
	}
	for _, row := range rows {
		row.Rates = rates(*row)
		ev.Rows = append(ev.Rows, *row)
	}
	slices.SortFunc(ev.Rows, func(a, b EvaluationRow) int {
		if a.Key < b.Key {
			return -1
		}
		if a.Key > b.Key {
			return 1
		}
		return 0
	})
	ev.Total.Rates = rates(ev.Total)
	if ev.Rows == nil {
		ev.Rows = []EvaluationRow{}
	}
	return ev, nil
}

func (s *Service) evaluationKey(inc model.Incident, by string) string {
	if by == "dept" {
		if inc.Dept == "" {
			return "(none)"
		}
		return inc.Dept
	}
	if path := s.places.Ancestors(inc.Unit); len(path) >= 2 {
		return path[1] // the city is the root; districts are its children
	}
	return "(none)"
}

func count(row *EvaluationRow, inc model.Incident, now int64) {
	row.Created++
	if inc.Clock.Start == 0 && inc.Returns == 0 {
		return // never reached a department
	}
	row.Dispatched++
	disposedOnTime := inc.DisposedAt > 0 && (inc.Clock.DisposeBy == 0 || inc.DisposedAt <= inc.Clock.DisposeBy)
	if inc.DisposedAt > 0 || inc.ClosedAt > 0 {
		row.Disposed++
		row.DueToDispose++
	} else if inc.Clock.DisposeBy > 0 && inc.Clock.DisposeBy < now && inc.Clock.PausedAt == 0 {
		row.DueToDispose++
	}
	if disposedOnTime {
		row.DisposedOnTime++
	}
	if inc.ClosedAt > 0 {
		row.Closed++
		if disposedOnTime && inc.Reworks == 0 {
			row.ClosedOnTime++
		}
	}
	if inc.Reworks > 0 {
		row.Reworked++
	}
	if inc.Extensions > 0 {
		row.Extended++
	}
	if inc.Returns > 0 {
		row.Returned++
	}
	if inc.State.Open() {
		row.Open++
		if inc.Escalation >= model.EscalationOverdue {
			row.OpenOverdue++
		}
	}
}

func rates(r EvaluationRow) map[string]float64 {
	out := map[string]float64{}
	ratio := func(name string, num, den int) {
		if den > 0 {
			out[name] = float64(num) / float64(den)
		}
	}
	ratio("disposal", r.Disposed, r.Dispatched)
	ratio("on_time_disposal", r.DisposedOnTime, r.DueToDispose)
	ratio("close", r.Closed, r.Dispatched)
	ratio("on_time_close", r.ClosedOnTime, r.Dispatched)
	ratio("rework", r.Reworked, r.Dispatched)
	ratio("extension", r.Extended, r.Dispatched)
	ratio("correct_dispatch", r.Dispatched-r.Returned, r.Dispatched)
	ratio("overdue_open", r.OpenOverdue, r.Open)
	return out
}
