package anomaly

import (
	"math"
	"time"
)

// Seasonal slot counts.
const (
	hoursPerDay  = 24
	hoursPerWeek = 7 * hoursPerDay
)

// maxZ caps the z-score: beyond it, "more surprising" carries no
// information.
const maxZ = 16

// maxMagnitude bounds the values folded in, so that differences and
// deviations stay finite, also in the float32 seasonal slots.
const maxMagnitude = 1e30

// logTailFloor is the smallest tail probability told apart (as in HTM's log
// likelihood): a tail of 1e-60 or less scores 1.
const logTailFloor = 1e-60

// Detector scores the observations of one datastream. It is a small state
// machine: feed it every observation in event-time order with Observe. It
// is not safe for concurrent use; give each stream its own Detector.
type Detector struct {
	cfg        Config
	alpha      float64 // 1/LongHorizon: baselines
	shortAlpha float64 // 1/ShortHorizon: the likelihood's short average
	longAlpha  float64 // 1/(2·LongHorizon): the likelihood's history
	keep       float32 // 1 - 1/(5·LongHorizon): surprise history forgetting
	state      state
}

// state is everything a Detector remembers: fixed-size, so that it encodes
// with encoding/binary and its size is known (see StateSize).
type state struct {
	Seen       int64 // finite observations folded in
	Level      robustStat
	Residual   robustStat // of the value less its seasonal baseline
	ReportedAt int64      // Seen when a score last reached ReportLevel; 0 if never
	ReportedT  int64      // event time (Unix ms) of that score
	FirstT     int64      // event time (Unix ms) of the first observation
	ShapeMute  int32      // readings left before shapes score again after a baseline switch
	Weekly     [hoursPerWeek]float32
	WeeklyN    [hoursPerWeek]uint16
	Daily      [hoursPerDay]float32
	DailyN     [hoursPerDay]uint16
	Likelihood likelihood      // of a lasting run of surprises
	Shape      shapeMemory     // of the recent course of the residual
	Surprises  surpriseHistory // sizes of past surprises, after warm-up
}

// New returns a Detector for one stream. Zero fields of cfg take their
// defaults; cfg should have passed Validate (out-of-range values are
// treated as their defaults).
func New(cfg Config) *Detector {
	cfg = cfg.withDefaults()
	d := DefaultConfig()
	if cfg.LongHorizon < 0 {
		cfg.LongHorizon = d.LongHorizon
	}
	if cfg.HuberK < 0 {
		cfg.HuberK = d.HuberK
	}
	if !(cfg.ReportLevel > 0 && cfg.ReportLevel <= 1) {
		cfg.ReportLevel = d.ReportLevel
	}
	if cfg.ShortHorizon < 0 {
		cfg.ShortHorizon = d.ShortHorizon
	}
	if cfg.RefractoryTime < 0 {
		cfg.RefractoryTime = d.RefractoryTime
	}
	if cfg.WarmupTime < 0 {
		cfg.WarmupTime = d.WarmupTime
	}
	long := float64(cfg.LongHorizon)
	return &Detector{
		cfg: cfg, alpha: 1 / long, shortAlpha: 1 / float64(cfg.ShortHorizon),
		longAlpha: 1 / (2 * long), keep: float32(1 - 1/(5*long)),
	}
}

// Observe folds in the observation (t in Unix ms, value v) and returns its
// anomaly score in [0, 1]: 0 is ordinary, 1 is a tail probability of 1e-60
// or less. The score depends only on this and earlier observations.
//
// A NaN or infinite v is not a measurement: it scores 0 and leaves the
// state untouched. Finite values beyond ±1e30 count as ±1e30. The first
// Warmup observations score 0, or those within WarmupTime of the first
// once a third of Warmup have been seen, if fewer. After a score reaches
// ReportLevel, the next Refractory observations score 0, or those within
// RefractoryTime of it if fewer.
func (d *Detector) Observe(t int64, v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	v = max(-maxMagnitude, min(maxMagnitude, v))
	st := &d.state
	var u float64
	if st.Seen > 0 {
		u = d.residualZ(t, v)
	}
	if d.baselineSwitches(t) {
		// The residual's course changes because its baseline did, not
		// the stream: a sine against the overall level turns flat against
		// the hour's own slot. Until every shape has been drawn after the
		// switch, that change is no novelty.
		st.ShapeMute = shapeLen * shapeBlock
	}
	z := min(math.Abs(u), maxSurprise)
	d.learn(t, v)
	if st.Seen == 0 {
		st.FirstT = t
	}
	st.Seen++
	warm := d.warm(t)
	point := d.pointScore(z, warm)
	lasting := st.Likelihood.update(z, st.Seen, d.shortAlpha, d.longAlpha)
	shape := st.Shape.observe(u, warm && st.ShapeMute == 0)
	if st.ShapeMute > 0 {
		st.ShapeMute--
	}
	if !warm {
		return 0
	}
	return d.report(t, max(point, lasting, shape))
}

// warm reports whether the baselines have settled enough to score: after
// Warmup observations, or after WarmupTime of event time once a third of
// them have been seen. The count suits 5-minute data; the time bound lets
// a sparse (hourly) stream start scoring after days rather than weeks,
// and the floor keeps the spreads from being judged on a handful of
// readings.
func (d *Detector) warm(t int64) bool {
	st := &d.state
	if st.Seen > int64(d.cfg.Warmup) {
		return true
	}
	return st.Seen >= int64(d.cfg.Warmup/3) && t-st.FirstT >= d.cfg.WarmupTime.Milliseconds()
}

// residualZ is the signed z-score of v against its seasonal baseline and
// the spread of past seasonal residuals, as they stood before v. Its size,
// capped at maxSurprise, is the reading's surprise.
func (d *Detector) residualZ(t int64, v float64) float64 {
	return d.state.Residual.signedZ(v - d.seasonalBaseline(t))
}

// pointScore scores one surprise: the normal tail of z (capped at maxZ)
// on the log scale, discounted by exp(-c) where c is the remembered weight
// of surprises at least as big. A spike the stream has never shown keeps
// its full score however often smaller ones occur; one it shows every two
// days is no news after the first. (A share of the history, tried first,
// excused a record spike in a stream full of modest ones.) Surprises are
// remembered only once warm, when the baselines they were measured
// against are settled.
func (d *Detector) pointScore(z float64, warm bool) float64 {
	st := &d.state
	s := logScore(upperTail(min(z, maxZ)), logTailFloor) * math.Exp(-st.Surprises.atLeast(z))
	st.Surprises.forget(d.keep)
	if warm {
		st.Surprises.add(z)
	}
	return s
}

// report silences the echoes of a finding: a score that reaches
// ReportLevel opens a refractory period, Refractory observations or
// RefractoryTime of event time, whichever ends first, in which every
// observation scores 0. The time bound keeps an hourly stream from going
// deaf for weeks. Scores below ReportLevel pass through untouched, so an
// alert rule may still pick a lower threshold; they do not open a
// refractory period.
func (d *Detector) report(t int64, s float64) float64 {
	st := &d.state
	if st.ReportedAt > 0 && st.Seen-st.ReportedAt <= int64(d.cfg.Refractory) &&
		t-st.ReportedT <= d.cfg.RefractoryTime.Milliseconds() {
		return 0
	}
	if s >= d.cfg.ReportLevel {
		st.ReportedAt, st.ReportedT = st.Seen, t
	}
	return s
}

// learn folds (t, v) into the baselines.
func (d *Detector) learn(t int64, v float64) {
	st := &d.state
	st.Residual.update(v-d.seasonalBaseline(t), d.alpha, d.cfg.HuberK)
	st.Level.update(v, d.alpha, d.cfg.HuberK)
	d.learnSeason(t, v)
}

// slots returns the hour-of-week and hour-of-day slots of t in local time.
func (d *Detector) slots(t int64) (week, day int) {
	hours := (t + d.cfg.UTCOffset.Milliseconds()) / time.Hour.Milliseconds()
	// 1970-01-01 was a Thursday; shift so slot 0 is Monday 00:00.
	week = int(((hours+3*hoursPerDay)%hoursPerWeek + hoursPerWeek) % hoursPerWeek)
	return week, week % hoursPerDay
}

// seasonalBaseline is what this hour of the week usually sees once that
// slot is trusted, else this hour of the day, else the overall level.
func (d *Detector) seasonalBaseline(t int64) float64 {
	st := &d.state
	week, day := d.slots(t)
	minN := uint16(min(d.cfg.SeasonMinSamples, math.MaxUint16))
	switch {
	case st.WeeklyN[week] >= minN:
		return float64(st.Weekly[week])
	case st.DailyN[day] >= minN:
		return float64(st.Daily[day])
	default:
		return st.Level.Mean
	}
}

// baselineSwitches reports whether t is the first reading judged against
// its hour-of-day or hour-of-week slot rather than the coarser baseline
// before it. A slot that is trusted only once its count saturates would
// match forever, so such a configuration never switches.
func (d *Detector) baselineSwitches(t int64) bool {
	st := &d.state
	week, day := d.slots(t)
	minN := uint16(min(d.cfg.SeasonMinSamples, math.MaxUint16))
	if minN == math.MaxUint16 {
		return false
	}
	return st.WeeklyN[week] == minN || (st.WeeklyN[week] < minN && st.DailyN[day] == minN)
}

// learnSeason folds v into its hour-of-week and hour-of-day slots. A slot
// remembers about 2·SeasonMinSamples observations and clips outliers with
// the residual spread as its yardstick, except while it is young and far
// from the baseline the stream would use without it: a slot whose first
// reading fell in a burst would otherwise creep back by clipped steps for
// weeks, reporting every ordinary reading of its hour meanwhile.
func (d *Detector) learnSeason(t int64, v float64) {
	st := &d.state
	week, day := d.slots(t)
	floor := 1 / float64(2*d.cfg.SeasonMinSamples)
	limit := d.cfg.HuberK * st.Residual.Dev
	clipping := st.Residual.N >= robustWarm && limit > 0
	minN := uint16(min(d.cfg.SeasonMinSamples, math.MaxUint16))
	ref := d.seasonalBaseline(t)
	fold := func(mean *float32, n *uint16) {
		if *n == 0 {
			*mean, *n = float32(v), 1
			return
		}
		r := v - float64(*mean)
		young := *n < minN && math.Abs(float64(*mean)-ref) > limit
		if clipping && !young {
			r = max(-limit, min(limit, r))
		}
		// float64 before adding: n+1 in uint16 wraps to 0 once the slot saturates.
		*mean += float32(max(floor, 1/(float64(*n)+1)) * r)
		if *n < math.MaxUint16 {
			*n++
		}
	}
	fold(&st.Weekly[week], &st.WeeklyN[week])
	fold(&st.Daily[day], &st.DailyN[day])
}
