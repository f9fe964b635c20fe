package engine

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"cityvitals/model"
)

// WarmSource reads stored history; store.History satisfies it.
type WarmSource interface {
	Range(ctx context.Context, stream, from, to int64, limit int) ([]model.Observation, error)
}

// warmPage is how many observations Warm asks for per read.
const warmPage = 10000

// Warm rebuilds the state after a restart: it registers streams (so that
// they count as registered before they report), reads each one's history
// over (until − span, until] where span is twice the longest indicator
// window plus the allowed lateness, and feeds it in time order as if it
// were being ingested, without emitting level changes. Afterwards values
// equal those of an engine that ran throughout; a level held by
// hysteresis alone may differ, because the history before the span is not
// read. Call it before Run.
func (e *Engine) Warm(ctx context.Context, src WarmSource, streams []int64, until int64) error {
	e.work.Lock()
	defer e.work.Unlock()
	p := e.proc
	p.silent = true
	defer func() { p.silent = false }()

	span := 2*p.plan.longestWin + p.lateness + p.step
	var all []model.Observation
	for _, id := range streams {
		if p.stream(id) == nil {
			continue
		}
		obs, err := readRange(ctx, src, id, until-span+1, until+1)
		if err != nil {
			return fmt.Errorf("warm stream %d: %w", id, err)
		}
		all = append(all, obs...)
	}
	slices.SortFunc(all, func(a, b model.Observation) int {
		return cmp.Or(cmp.Compare(a.Time, b.Time), cmp.Compare(a.Stream, b.Stream))
	})
	for batch := range slices.Chunk(all, warmPage) {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("warm: %w", err)
		}
		p.accept(batch)
		p.advanceToWatermark()
	}
	return nil
}

// readRange reads [from, to) of one stream page by page.
func readRange(ctx context.Context, src WarmSource, stream, from, to int64) ([]model.Observation, error) {
	var out []model.Observation
	for from < to {
		page, err := src.Range(ctx, stream, from, to, warmPage)
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if len(page) < warmPage {
			break
		}
		from = page[len(page)-1].Time + 1
	}
	return out, nil
}

// Register makes streams count as registered (for reporting() and
// Registered) before they first report: a device installed today and
// silent since is a silent device, not an unknown one. Streams already
// known are left as they are.
func (e *Engine) Register(streams []int64) {
	e.work.Lock()
	defer e.work.Unlock()
	for _, id := range streams {
		e.proc.stream(id)
	}
}
