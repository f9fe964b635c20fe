package incident

import (
	"bytes"
	"os"

	"context"
	"go.yaml.in/yaml/v3"

	"fmt"
	"slices"
	"strings"

	"cityvitals/alert"
	"cityvitals/auth"
	"cityvitals/model"
)

// AutoRule says which alerts register an incident by themselves (自动立案).
type AutoRule struct {
	Name     string
	Domains  []string // alert domain labels; empty = any
	Rules    []string // detector rules (threshold, rate, cluster, …); empty = any
	MinLevel int8     // 1 blue … 4 red
	Under    string   // only alerts in this unit or below; "" = the whole city
	Dispatch bool     // dispatch at once to the routed department
}

// DefaultAutoRules register what a duty officer would register anyway:
// lifeline alerts from orange up (and dispatch them: minutes count), any
// red alert, and every correlated cluster from yellow up.
func DefaultAutoRules() []AutoRule {
	return []AutoRule{
		{Name: "lifeline orange and red", Domains: []string{"gas", "water", "drainage", "power", "bridge"}, MinLevel: 3, Dispatch: true},
		{Name: "any red", MinLevel: 4, Dispatch: true},
		{Name: "correlated clusters", Rules: []string{"cluster"}, MinLevel: 2},
	}
}

// categoryOfDomain is the incident category an alert of a domain opens.
var categoryOfDomain = map[string]string{
	"gas": "gas_leak", "water": "water_main_burst", "drainage": "waterlogging", "power": "power_outage",
	"crowd": "crowd", "fire": "fire",
}

func (r AutoRule) matches(a model.Alert, under func(unit, root string) bool) bool {
	return a.Level >= r.MinLevel &&
		(len(r.Domains) == 0 || slices.Contains(r.Domains, a.Labels["domain"])) &&
		(len(r.Rules) == 0 || slices.Contains(r.Rules, a.Rule)) &&
		(r.Under == "" || under(a.Labels["unit"], r.Under))
}

// FromAlert keeps incidents in step with an alert event, acting as p (the
// platform's own principal): a firing alert that an auto rule matches
// registers an incident (and dispatches it if the rule says so) unless an
// open incident already follows that alert; a level rise is recorded on
// it; a resolution is only noted — verification, not the sensor, closes
// an incident. Muted alerts (silenced or inhibited) open nothing.
func (s *Service) FromAlert(ctx context.Context, p auth.Principal, rules []AutoRule, e alert.Event) error {
	a := e.Alert
	existing, err := s.st.OpenIncidentForAlert(ctx, a.Fingerprint)
	switch {
	case err == nil:
		return s.followAlert(ctx, p, existing, e)
	case model.ErrorCode(err) != model.ENOTFOUND:
		return fmt.Errorf("incident for alert %s: %w", a.Fingerprint, err)
	case e.Muted || (e.Kind != alert.EventFiring && e.Kind != alert.EventUpdated):
		return nil
	}
	i := slices.IndexFunc(rules, func(r AutoRule) bool { return r.matches(a, s.under) })
	if i < 0 {
		return nil
	}
	inc, err := s.Open(ctx, p, s.newFromAlert(a))
	if err != nil {
		return fmt.Errorf("register alert %s (rule %q): %w", a.Fingerprint, rules[i].Name, err)
	}
	if !rules[i].Dispatch || inc.Dept == "" {
		return nil
	}
	_, err = s.Act(ctx, p, inc.ID, Command{Action: "dispatch", Note: "auto rule: " + rules[i].Name})
	return err
}

func (s *Service) newFromAlert(a model.Alert) New {
	category := categoryOfDomain[a.Labels["domain"]]
	if _, ok := s.cfg.Categories[category]; !ok {
		category = "other"
	}
	title := a.SummaryZH
	if title == "" {
		title = a.Rule + " " + a.Labels["unit"]
	}
	return New{
		Title: clipRunes(title, 200), Description: clipRunes(a.SummaryEN, s.cfg.MaxText), Category: category,
		Level: a.Level, Source: model.SourceAlert, Unit: a.Labels["unit"], Domain: a.Labels["domain"],
		Alerts: []string{a.Fingerprint}, Register: true,
	}
}

func (s *Service) under(unit, root string) bool {
	return slices.Contains(s.places.Ancestors(unit), root)
}

// followAlert records what happened to the alert on its open incident.
func (s *Service) followAlert(ctx context.Context, p auth.Principal, inc model.Incident, e alert.Event) error {
	ev := s.event(p, "alert", inc.State, inc.State, "", nil)
	ev.Data = map[string]any{"alert": e.Alert.Fingerprint, "kind": string(e.Kind), "level": e.Alert.Level}
	switch {
	case e.Kind == alert.EventResolved:
		ev.Note = "告警已恢复；案卷须经核查结案 / alert resolved; verification closes the incident"
	case e.Alert.Level > inc.Level:
		ev.Note = fmt.Sprintf("告警升级至 %d 级 / alert raised to level %d", e.Alert.Level, e.Alert.Level)
		inc.Level = e.Alert.Level
	default:
		return nil
	}
	inc.UpdatedAt = ev.At
	_, err := s.store(ctx, p, inc, ev)
	if model.ErrorCode(err) == model.ECONFLICT {
		// Someone changed the incident meanwhile; the alert's news is a
		// note, not worth overwriting their change.
		return nil
	}
	return err
}

func clipRunes(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return strings.TrimSpace(s[:cut])
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

type autoRuleFile struct {
	Rules []struct {
		Name     string   `yaml:"name"`
		Domains  []string `yaml:"domains"`
		Rules    []string `yaml:"rules"`
		MinLevel int8     `yaml:"min_level"`
		Under    string   `yaml:"under"`
		Dispatch bool     `yaml:"dispatch"`
	} `yaml:"rules"`
}

// ParseAutoRules reads auto-registration rules from YAML:
//
//	rules:
//	  - name: lifeline orange and red
//	    domains: [gas, water]
//	    min_level: 3
//	    dispatch: true
//
// Unknown fields, a missing name or a level outside 1–4 are EINVALID
// naming the file and the rule.
func ParseAutoRules(name string, src []byte) ([]AutoRule, error) {
	var f autoRuleFile
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, model.Errorf(model.EINVALID, "%s: %v", name, err)
	}
	out := make([]AutoRule, 0, len(f.Rules))
	for i, r := range f.Rules {
		switch {
		case r.Name == "":
			return nil, model.Errorf(model.EINVALID, "%s: rule %d: name is required", name, i+1)
		case r.MinLevel < 1 || r.MinLevel > 4:
			return nil, model.Errorf(model.EINVALID, "%s: rule %q: min_level %d is not 1 blue … 4 red", name, r.Name, r.MinLevel)
		}
		out = append(out, AutoRule{Name: r.Name, Domains: r.Domains, Rules: r.Rules, MinLevel: r.MinLevel, Under: r.Under, Dispatch: r.Dispatch})
	}
	return out, nil
}

// LoadAutoRules reads auto-registration rules from a file.
func LoadAutoRules(path string) ([]AutoRule, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("auto-registration rules: %w", err)
	}
	return ParseAutoRules(path, b)
}
