package simulate

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"cityvitals/model"
	"cityvitals/property"
)

// Reading is one simulated observation.
type Reading struct {
	Stream int    // index into City.Streams
	Key    string // the stream's external key
	Time   time.Time
	Value  float64
}

// Sink takes the simulator's readings: HTTPSink posts them to a server;
// tests collect them.
type Sink interface {
	Send(ctx context.Context, rs []Reading) error
}

// Config shapes a Simulator.
type Config struct {
	City *City
	Sink Sink
	// Start anchors the schedule: reading k of a stream is at Start plus
	// the stream's phase plus k periods (zero: now).
	Start time.Time
	// Rate is the target in observations per second. Streams report at
	// their registered interval or, to reach Rate, proportionally faster;
	// never slower (0: at their intervals).
	Rate float64
	// Tick is how often Run sends what has come due (0: 100 ms).
	Tick time.Duration
	// Backfill sends history before going live — three hours, and two
	// days for weather stations, whose cold-wave indicator compares a day
	// — at the catalog's reporting intervals, so windowed indicators
	// (rise, fall, accum) start over full windows.
	Backfill bool
	Logger   *slog.Logger
	// Now is the clock (nil: time.Now); tests may stop it.
	Now func() time.Time
}

// Limits on what a simulator accepts.
const (
	MaxRate      = 200_000 // obs/s: beyond this the simulator, not the platform, is measured
	maxBatch     = 20_000  // readings per request
	dropoutShare = 0.003   // readings lost at random
	outageShare  = 0.002   // blocks of outageLen readings lost together
	outageLen    = 60
	driftShare   = 0.03 // streams whose sensor drifts
)

// Simulator plays a city's streams. It is safe for concurrent use: Run
// sends while Inject adds scenarios.
type Simulator struct {
	cfg     Config
	city    *City
	seed    uint64
	streams []streamParams
	ranges  []valueRange
	now     func() time.Time
	log     *slog.Logger

	mu         sync.Mutex
	injections []*injection
	nextID     int

	sent, failed atomic.Int64
}

type streamParams struct {
	period, phase time.Duration
	scale         float64
	driftPerHour  float64
	profile       profile
}

type valueRange struct{ min, max float64 }

// New checks cfg and prepares every stream's schedule. EINVALID names a
// bad field.
func New(cfg Config) (*Simulator, error) {
	switch {
	case cfg.City == nil || len(cfg.City.Streams) == 0:
		return nil, model.Errorf(model.EINVALID, "simulator: no city, or a city without streams")
	case cfg.Sink == nil:
		return nil, model.Errorf(model.EINVALID, "simulator: no sink for the readings")
	case math.IsNaN(cfg.Rate) || cfg.Rate < 0 || cfg.Rate > MaxRate:
		return nil, model.Errorf(model.EINVALID, "simulator: rate %g obs/s is outside [0, %d]", cfg.Rate, MaxRate)
	case cfg.Tick < 0:
		return nil, model.Errorf(model.EINVALID, "simulator: tick %s is negative", cfg.Tick)
	}
	s := &Simulator{cfg: cfg, city: cfg.City, seed: uint64(cfg.City.Seed), now: cfg.Now, log: cfg.Logger}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.cfg.Tick == 0 {
		s.cfg.Tick = 100 * time.Millisecond
	}
	if s.cfg.Start.IsZero() {
		s.cfg.Start = s.now()
	}
	if err := s.prepare(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Simulator) prepare() error {
	props := property.Default()
	natural := 0.0
	for _, st := range s.city.Streams {
		natural += 1 / st.Interval.Seconds()
	}
	speedup := max(1, s.cfg.Rate/natural)
	s.streams = make([]streamParams, len(s.city.Streams))
	s.ranges = make([]valueRange, len(s.city.Streams))
	for i, st := range s.city.Streams {
		prof, ok := profiles[st.Property]
		p, known := props.Lookup(st.Property)
		if !ok || !known {
			return model.Errorf(model.EINVALID, "simulator: stream %q: no profile for property %q", st.Key, st.Property)
		}
		period := st.Interval
		if !fixedInterval[st.Property] {
			period = max(time.Duration(float64(st.Interval)/speedup).Round(time.Millisecond), time.Millisecond)
		}
		sp := streamParams{
			period:  period,
			phase:   time.Duration(uniform(mix(s.seed, uint64(i), saltPhase)) * float64(period)),
			scale:   0.92 + 0.16*uniform(mix(s.seed, uint64(i), saltScale)),
			profile: prof,
		}
		if prof.noise > 0 && uniform(mix(s.seed, uint64(i), saltDrift)) < driftShare {
			// A drifting sensor wanders by several noise widths an hour.
			sp.driftPerHour = prof.noise * 4 * (2*uniform(mix(s.seed, uint64(i), saltDrift, 1)) - 1)
		}
		s.streams[i] = sp
		s.ranges[i] = valueRange{p.Min, p.Max}
	}
	return nil
}

// Start is when the schedule begins.
func (s *Simulator) Start() time.Time { return s.cfg.Start }

// Period is how often stream i reports.
func (s *Simulator) Period(i int) time.Duration { return s.streams[i].period }

// Stats are the counts of readings sent and of those a sink refused.
func (s *Simulator) Stats() (sent, failed int64) { return s.sent.Load(), s.failed.Load() }

// Generate returns every reading due in [from, to), in time order (ties
// by stream), with the scenarios injected so far. It sends nothing; the
// same simulator state always gives the same readings.
func (s *Simulator) Generate(from, to time.Time) []Reading {
	return s.generate(from, to, nil)
}

// generate covers the streams in only, or all when only is nil.
func (s *Simulator) generate(from, to time.Time, only []int) []Reading {
	active := s.activeBetween(from, to)
	var out []Reading
	emit := func(i int) {
		sp := s.streams[i]
		origin := s.cfg.Start.Add(sp.phase)
		k := int64(0)
		if d := from.Sub(origin); d > 0 {
			k = int64((d + sp.period - 1) / sp.period)
		}
		for t := origin.Add(time.Duration(k) * sp.period); t.Before(to); t = t.Add(sp.period) {
			if !t.Before(from) {
				if v, ok := s.value(i, k, t, sp.period, active); ok {
					out = append(out, Reading{Stream: i, Key: s.city.Streams[i].Key, Time: t, Value: v})
				}
			}
			k++
		}
	}
	if only == nil {
		for i := range s.streams {
			emit(i)
		}
	} else {
		for _, i := range only {
			emit(i)
		}
	}
	sortReadings(out)
	return out
}

func sortReadings(rs []Reading) {
	slices.SortFunc(rs, func(a, b Reading) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return cmp.Compare(a.Stream, b.Stream)
	})
}

// value is stream i's reading k at t: its profile, scale, drift and noise,
// then every active scenario's effect. false means the reading is lost.
func (s *Simulator) value(i int, k int64, t time.Time, period time.Duration, active []*injection) (float64, bool) {
	if s.dropped(i, k) {
		return 0, false
	}
	sp := s.streams[i]
	v := sp.profile.level(localClock(t), sp.scale)
	noise := mix(s.seed, uint64(i), uint64(k), saltNoise)
	switch {
	case sp.profile.noise > 0:
		v += sp.profile.noise * gaussian(noise)
		v += sp.driftPerHour * t.Sub(s.cfg.Start).Hours()
	case sp.profile.count:
		v += countNoise(v) * gaussian(noise)
	}
	for _, inj := range active {
		e, ok := inj.effects[i]
		if !ok || t.Before(inj.At) || !t.Before(inj.Until) {
			continue
		}
		var sent bool
		if v, sent = e(t.Sub(inj.At), v, period); !sent {
			return 0, false
		}
	}
	r := s.ranges[i]
	v = math.Min(math.Max(v, r.min), r.max)
	if sp.profile.round {
		v = math.Round(v)
	}
	return v, true
}

// dropped says whether reading k of stream i is lost: alone, or in a
// block of outageLen readings (a gateway hiccup).
func (s *Simulator) dropped(i int, k int64) bool {
	if uniform(mix(s.seed, uint64(i), uint64(k), saltDrop)) < dropoutShare {
		return true
	}
	block := k / outageLen
	if k < 0 {
		block = (k - outageLen + 1) / outageLen
	}
	return uniform(mix(s.seed, uint64(i), uint64(block), saltOutage)) < outageShare
}

// Run sends readings as they come due until ctx ends (then it returns
// nil). A reading a sink refuses is counted and logged, not retried: live
// devices lose data too. A sink that refuses the credentials ends Run
// with that error.
func (s *Simulator) Run(ctx context.Context) error {
	if s.cfg.Backfill {
		if err := s.backfill(ctx); err != nil {
			return err
		}
	}
	return s.play(ctx, s.cfg.Start, time.Time{}, nil)
}

// play sends the readings of the streams in only (all when nil) from
// cursor on, until ctx ends or, when until is set, the clock passes it.
func (s *Simulator) play(ctx context.Context, cursor, until time.Time, only []int) error {
	t := time.NewTicker(s.cfg.Tick)
	defer t.Stop()
	for {
		now := s.now()
		if !until.IsZero() && now.After(until) {
			now = until
		}
		if now.After(cursor) {
			if err := s.send(ctx, s.generate(cursor, now, only)); err != nil {
				return err
			}
			cursor = now
		}
		if !until.IsZero() && !cursor.Before(until) {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (s *Simulator) send(ctx context.Context, rs []Reading) error {
	for len(rs) > 0 {
		n := min(len(rs), maxBatch)
		err := s.cfg.Sink.Send(ctx, rs[:n])
		switch code := model.ErrorCode(err); {
		case err == nil:
			s.sent.Add(int64(n))
		case ctx.Err() != nil:
			return nil
		case code == model.EUNAUTHORIZED || code == model.EFORBIDDEN:
			return fmt.Errorf("simulator: the server refuses the token: %w", err)
		default:
			s.failed.Add(int64(n))
			s.log.Warn("simulator: readings lost", "count", n, "err", err)
		}
		rs = rs[n:]
	}
	return nil
}

// Backfill spans.
const (
	backfillSpan        = 3 * time.Hour
	weatherBackfillSpan = 48 * time.Hour
)

// backfill sends the history before Start at the catalog's intervals.
func (s *Simulator) backfill(ctx context.Context) error {
	props := property.Default()
	var rs []Reading
	for i, st := range s.city.Streams {
		p, _ := props.Lookup(st.Property)
		span := backfillSpan
		if st.Place == PlaceWeatherStation {
			span = weatherBackfillSpan
		}
		every := max(p.DefaultInterval, st.Interval)
		for j := int64(1); time.Duration(j)*every <= span; j++ {
			t := s.cfg.Start.Add(-time.Duration(j) * every)
			if v, ok := s.value(i, -j, t, every, nil); ok {
				rs = append(rs, Reading{Stream: i, Key: st.Key, Time: t, Value: v})
			}
		}
	}
	sortReadings(rs)
	if err := s.send(ctx, rs); err != nil {
		return err
	}
	s.log.Info("simulator: history backfilled", "readings", len(rs))
	return ctx.Err()
}
