package inhibit

import (
	"sync"
	"time"

	"cityvitals/alert"
	"cityvitals/alert/silence"
	"cityvitals/model"
)

// ParentFunc returns the parent of an indicator in the catalog, "" for a
// core indicator or an unknown id.
type ParentFunc func(indicatorID string) (parent string)

// Inhibitor mutes alerts by the rules and the alerts currently firing.
// Feed it every alert change (Observe) or the whole firing set (Update).
// It is safe for concurrent use.
type Inhibitor struct {
	rules  []compiledRule
	parent ParentFunc

	mu     sync.RWMutex
	firing map[string]model.Alert // by fingerprint
	// sources[i] holds the firing sources of rules[i]: key → fingerprint → alert.
	sources []map[string]map[string]model.Alert
}

// New returns an Inhibitor with the rules. parent may be nil when no rule
// has SourceIsParent. Errors are EINVALID and name the rule and field.
func New(rules []Rule, parent ParentFunc) (*Inhibitor, error) {
	compiled, err := compileRules(rules, parent != nil)
	if err != nil {
		return nil, err
	}
	in := &Inhibitor{rules: compiled, parent: parent}
	in.reset()
	return in, nil
}

func (in *Inhibitor) reset() {
	in.firing = map[string]model.Alert{}
	in.sources = make([]map[string]map[string]model.Alert, len(in.rules))
	for i := range in.sources {
		in.sources[i] = map[string]map[string]model.Alert{}
	}
}

// Update replaces what the Inhibitor knows with alerts; those not firing
// are ignored. Use it at start-up with the stored alerts.
func (in *Inhibitor) Update(alerts []model.Alert) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.reset()
	for _, a := range alerts {
		in.add(a)
	}
}

// Observe takes one alert change, e.g. alert.Event.Alert: a firing alert
// may inhibit others from now on, any other state ends that.
func (in *Inhibitor) Observe(a model.Alert) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.remove(a.Fingerprint)
	in.add(a)
}

func (in *Inhibitor) add(a model.Alert) {
	if a.State != model.AlertFiring {
		return
	}
	in.firing[a.Fingerprint] = a
	labels := silence.AlertLabels(a)
	for i := range in.rules {
		r := &in.rules[i]
		if !r.isSource(a, labels) {
			continue
		}
		k := r.key(labels, labels["indicator"])
		if in.sources[i][k] == nil {
			in.sources[i][k] = map[string]model.Alert{}
		}
		in.sources[i][k][a.Fingerprint] = a
	}
}

func (in *Inhibitor) remove(fingerprint string) {
	old, ok := in.firing[fingerprint]
	if !ok {
		return
	}
	delete(in.firing, fingerprint)
	labels := silence.AlertLabels(old)
	for i := range in.rules {
		k := in.rules[i].key(labels, labels["indicator"])
		if set := in.sources[i][k]; set != nil {
			delete(set, fingerprint)
			if len(set) == 0 {
				delete(in.sources[i], k)
			}
		}
	}
}

// Mutes reports whether some firing alert inhibits target at event time
// at. A source inhibits only from its own start (StartsAt ≤ at) on, so an
// alert change is never muted by a source that began after it.
func (in *Inhibitor) Mutes(target model.Alert, at time.Time) bool {
	_, _, ok := in.InhibitedBy(target, at)
	return ok
}

// Explain implements alert.Explainer: the rule and the source alert that
// inhibit target at at.
func (in *Inhibitor) Explain(target model.Alert, at time.Time, r *alert.MuteReason) {
	if rule, source, ok := in.InhibitedBy(target, at); ok {
		r.InhibitRule, r.InhibitedBy = rule, source
	}
}

// InhibitedBy returns the rule and the fingerprint of a source that
// inhibits target at event time at, so a person can see why it stayed
// quiet; ok is false when nothing does.
func (in *Inhibitor) InhibitedBy(target model.Alert, at time.Time) (rule, source string, ok bool) {
	labels := silence.AlertLabels(target)
	atMs := at.UnixMilli()
	in.mu.RLock()
	defer in.mu.RUnlock()
	for i := range in.rules {
		r := &in.rules[i]
		if !r.isTarget(target, labels) {
			continue
		}
		var parent string
		if r.SourceIsParent {
			if parent = in.parent(labels["indicator"]); parent == "" {
				continue
			}
		}
		for fp, src := range in.sources[i][r.key(labels, parent)] {
			if fp != target.Fingerprint && src.StartsAt <= atMs {
				return r.Name, fp, true
			}
		}
	}
	return "", "", false
}
