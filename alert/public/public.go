// Package public decides which alerts are public warnings and how they
// read as OASIS CAP 1.2 documents: a firing alert is a CAP Alert, a
// resolved one a Cancel referencing it. Public means a warning level of
// yellow or above about a district or the whole city — the scale at which
// Chinese practice issues public warning signals; alerts about grid cells
// and single devices stay internal.
package public

import (
	"fmt"
	"strings"
	"time"

	"cityvitals/indicator"
	"cityvitals/model"
	"cityvitals/notify/cap"
)

// Names looks up what an alert's labels refer to.
type Names interface {
	Indicator(id string) (*indicator.Indicator, bool)
	Unit(code string) (model.Unit, bool)
	// Roots are the units at the top of the tree: together, the city.
	Roots() []model.Unit
}

// MinLevel is the lowest level published: yellow (III).
const MinLevel = 2

// IsPublic reports whether the alert is published in the CAP feed.
func IsPublic(a model.Alert, names Names) bool {
	if a.Level < MinLevel && a.State != model.AlertResolved {
		return false
	}
	code := a.Labels["unit"]
	if code == "" {
		return true
	}
	u, ok := names.Unit(code)
	return ok && (u.Level == model.LevelCity || u.Level == model.LevelDistrict)
}

// Identifier is the CAP identifier of the alert's current message.
func Identifier(a model.Alert) string {
	if a.State == model.AlertResolved {
		return fmt.Sprintf("%s.%d.cancel", a.Fingerprint, a.StartsAt)
	}
	return fmt.Sprintf("%s.%d.%d", a.Fingerprint, a.StartsAt, a.Level)
}

// Fingerprint returns the alert fingerprint an identifier names.
func Fingerprint(identifier string) string {
	fp, _, _ := strings.Cut(identifier, ".")
	return fp
}

// domains maps the catalog's domains to CAP's.
var domains = map[string]cap.Domain{
	"gas": cap.DomainGas, "water": cap.DomainWater, "drainage": cap.DomainDrainage,
	"weather": cap.DomainWeather, "environment": cap.DomainAir, "power": cap.DomainPower,
	"traffic": cap.DomainTraffic, "fire": cap.DomainFire, "crowd": cap.DomainPublicSafety,
	"hotline": cap.DomainPublicSafety, "elevator": cap.DomainStructure, "bridge": cap.DomainStructure,
	"municipal": cap.DomainStructure,
}

// Warning renders the alert as a CAP warning from sender.
func Warning(a model.Alert, names Names, sender string) (cap.Warning, error) {
	w := cap.Warning{
		ID: Identifier(a), Sender: sender, Sent: time.UnixMilli(a.UpdatedAt),
		Status: cap.StatusActual, MsgType: cap.MsgAlert,
		Level: cap.Level(max(a.Level, 1)), Certainty: cap.CertaintyObserved,
		Domain: cap.DomainPublicSafety, SenderNameZH: "城市运行管理中心", SenderNameEN: "City operations centre",
		HeadlineZH: a.SummaryZH, HeadlineEN: a.SummaryEN,
		DescriptionZH: a.SummaryZH, DescriptionEN: a.SummaryEN,
		Onset: time.UnixMilli(a.StartsAt), Parameters: map[string]string{"fingerprint": a.Fingerprint},
	}
	if ind, ok := names.Indicator(a.Labels["indicator"]); ok {
		w.EventZH, w.EventEN = ind.NameZH, ind.NameEN
		w.Parameters["indicator"] = ind.ID
		if d, ok := domains[ind.Domain]; ok {
			w.Domain = d
		}
	} else {
		w.EventZH, w.EventEN = a.Rule, a.Rule
	}
	if v, ok := a.Evidence["value"]; ok {
		w.Parameters["value"] = fmt.Sprint(v)
	}
	if a.State == model.AlertResolved {
		w.MsgType = cap.MsgCancel
		w.References = []cap.Reference{{Sender: sender, ID: fmt.Sprintf("%s.%d.%d", a.Fingerprint, a.StartsAt, max(a.Level, 1)), Sent: time.UnixMilli(a.StartsAt)}}
		w.Note = "resolved"
	}
	var err error
	w.Area, err = area(a.Labels["unit"], names)
	return w, err
}

// area is the unit's polygon and code, or for the whole city the union
// of the tree's roots.
func area(code string, names Names) (cap.Area, error) {
	if code == "" {
		ar := cap.Area{NameZH: "全市", NameEN: "Whole city"}
		roots := names.Roots()
		for _, r := range roots {
			ar.Geometry = append(ar.Geometry, r.Geometry...)
		}
		if len(roots) == 1 && isAdminCode(roots[0].Code) {
			ar.AdminCode = roots[0].Code
		}
		if len(ar.Geometry) == 0 && ar.AdminCode == "" {
			return ar, model.Errorf(model.EINVALID, "the city has no units, so a city-wide warning has no area")
		}
		return ar, nil
	}
	u, ok := names.Unit(code)
	if !ok {
		return cap.Area{}, model.Errorf(model.ENOTFOUND, "unit %q not found", code)
	}
	ar := cap.Area{NameZH: u.NameZH, NameEN: u.NameEN, Geometry: u.Geometry}
	if isAdminCode(code) {
		ar.AdminCode = code
	}
	if ar.NameEN == "" {
		ar.NameEN = u.NameZH
	}
	return ar, nil
}

func isAdminCode(code string) bool {
	return (len(code) == 6 || len(code) == 9 || len(code) == 12) && strings.Trim(code, "0123456789") == ""
}
