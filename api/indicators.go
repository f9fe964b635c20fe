package api

import (
	"net/http"

	"cityvitals/auth"
	"cityvitals/indicator"
	"cityvitals/model"
)

// indicatorJSON is a catalog entry on the wire.
type indicatorJSON struct {
	ID         string            `json:"id"`
	Parent     string            `json:"parent,omitempty"`
	Domain     string            `json:"domain"`
	NameZH     string            `json:"name_zh"`
	NameEN     string            `json:"name_en"`
	Unit       string            `json:"unit"`
	Dept       string            `json:"dept"`
	Level      string            `json:"level"`
	Window     string            `json:"window"`
	Expr       string            `json:"expr"`
	Direction  string            `json:"direction"`
	Thresholds map[string]any    `json:"thresholds"`
	Hysteresis float64           `json:"hysteresis,omitempty"`
	Rollup     string            `json:"rollup"`
	WhyZH      string            `json:"why_zh"`
	WhyEN      string            `json:"why_en"`
	Sources    map[string]string `json:"sources"`
	Effective  string            `json:"effective,omitempty"`
	Subs       []indicatorJSON   `json:"subs,omitempty"`
}

func indicatorOut(ind *indicator.Indicator) indicatorJSON {
	out := indicatorJSON{
		ID: ind.ID, Parent: ind.Parent, Domain: ind.Domain, NameZH: ind.NameZH, NameEN: ind.NameEN,
		Unit: ind.Unit, Dept: ind.Dept, Level: ind.Level, Window: ind.Window.String(), Expr: ind.Expr,
		Direction: string(ind.Direction), Thresholds: thresholdsOut(ind.Thresholds, ind.Direction),
		Hysteresis: ind.Hysteresis, Rollup: string(ind.Rollup), WhyZH: ind.WhyZH, WhyEN: ind.WhyEN,
		Sources: ind.Sources,
	}
	if !ind.Effective.IsZero() {
		out.Effective = ind.Effective.UTC().Format("2006-01-02T15:04:05Z07:00")
	}
	return out
}

func thresholdsOut(t indicator.Thresholds, d indicator.Direction) map[string]any {
	grades := func(blue, yellow, orange, red *float64) map[string]float64 {
		m := map[string]float64{}
		for name, v := range map[string]*float64{"blue": blue, "yellow": yellow, "orange": orange, "red": red} {
			if v != nil {
				m[name] = *v
			}
		}
		return m
	}
	upper := grades(t.Blue, t.Yellow, t.Orange, t.Red)
	if d != indicator.OutsideBand {
		out := map[string]any{}
		for k, v := range upper {
			out[k] = v
		}
		return out
	}
	return map[string]any{"low": grades(t.LowBlue, t.LowYellow, t.LowOrange, t.LowRed), "high": upper}
}

func treeOut(nodes []indicator.Node) []indicatorJSON {
	out := make([]indicatorJSON, 0, len(nodes))
	for _, n := range nodes {
		ij := indicatorOut(n.Indicator)
		ij.Subs = treeOut(n.Subs)
		out = append(out, ij)
	}
	return out
}

// listIndicators answers the catalog as a tree per domain.
func (s *Server) listIndicators(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	type domain struct {
		Domain     string          `json:"domain"`
		NameZH     string          `json:"name_zh"`
		NameEN     string          `json:"name_en"`
		Indicators []indicatorJSON `json:"indicators"`
	}
	var items []domain
	for _, d := range s.Catalogs.Current().Tree() {
		items = append(items, domain{Domain: d.ID, NameZH: d.NameZH, NameEN: d.NameEN, Indicators: treeOut(d.Core)})
	}
	writeJSON(w, s.log, http.StatusOK, listing[domain]{Items: items})
}

func (s *Server) getIndicator(w http.ResponseWriter, r *http.Request, _ auth.Principal) {
	p, ok := s.Catalogs.Current().Program(r.PathValue("id"))
	if !ok {
		s.fail(w, r, model.Errorf(model.ENOTFOUND, "indicator %q not found", clipText(r.PathValue("id"))))
		return
	}
	writeJSON(w, s.log, http.StatusOK, indicatorOut(p.Indicator()))
}

// putIndicators creates or replaces indicators from a catalog file (YAML
// or JSON, one domain). The whole catalog is re-checked; a refused change
// leaves the catalog in force. Versions with `effective` apply from that
// event time on.
func (s *Server) putIndicators(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	body, err := readBody(r, s.MaxBodyBytes)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ids, err := s.Catalogs.Update(r.Context(), p.Name(), "request body", body)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, s.log, http.StatusOK, map[string]any{"updated": ids})
}
