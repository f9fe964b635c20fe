package app

import (
	"context"
	"sync/atomic"

	"cityvitals/api"
	"cityvitals/simulate"
)

// drillDesk is the API's handle on the demo's simulator. The platform is
// built before the simulator (which needs the platform's address), so the
// demo attaches it afterwards; until then, and on a production platform,
// there is nothing to play.
type drillDesk struct {
	sim atomic.Pointer[simulate.Simulator]
}

// AttachSimulator lets operators play the simulator's scenarios through
// the API (/api/v1/scenarios).
func (a *App) AttachSimulator(sim *simulate.Simulator) { a.drills.sim.Store(sim) }

func (d *drillDesk) simulator() (*simulate.Simulator, error) {
	sim := d.sim.Load()
	if sim == nil {
		return nil, api.ErrNoDrills
	}
	return sim, nil
}

func (d *drillDesk) Scenarios(context.Context) ([]simulate.ScenarioInfo, []simulate.Injection, error) {
	sim, err := d.simulator()
	if err != nil {
		return nil, nil, err
	}
	return simulate.Scenarios(), sim.Injections(), nil
}

func (d *drillDesk) Inject(ctx context.Context, name string, opts simulate.InjectOptions) (simulate.Injection, error) {
	sim, err := d.simulator()
	if err != nil {
		return simulate.Injection{}, err
	}
	return sim.Inject(ctx, name, opts)
}
