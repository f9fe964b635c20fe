package api

import (
	"net/http"
	"strconv"
	"time"

	"cityvitals/auth"
	"cityvitals/engine"
	"cityvitals/indicator"
	"cityvitals/model"
	"cityvitals/store"
	"cityvitals/vitals"
)

// VitalSigns reads the live engine's state.
type VitalSigns interface {
	Signs(unit string) (engine.UnitSigns, bool)
}

// levelNames are the wire names of the warning levels.
var levelNames = map[indicator.Level]string{
	indicator.LevelNoData: "no_data", indicator.LevelNone: "normal", indicator.LevelBlue: "blue",
	indicator.LevelYellow: "yellow", indicator.LevelOrange: "orange", indicator.LevelRed: "red",
}

func levelName(l indicator.Level) string { return levelNames[l] }

// cityCode is how the API names the virtual root, the whole city.
const cityCode = "city"

// unitParam maps the path's unit code to the engine's ("city" → "").
func unitParam(r *http.Request) string {
	if code := r.PathValue("code"); code != cityCode {
		return code
	}
	return ""
}

// signJSON is one indicator of a unit, with its sub-indicators.
type signJSON struct {
	ID      string     `json:"id"`
	NameZH  string     `json:"name_zh"`
	NameEN  string     `json:"name_en"`
	Unit    string     `json:"unit"`
	Level   string     `json:"level"`
	Value   *float64   `json:"value"`
	Trend   []float64  `json:"trend"`
	Updated string     `json:"updated,omitempty"`
	Window  string     `json:"window"`
	Subs    []signJSON `json:"subs,omitempty"`
}

type domainJSON struct {
	Domain     string     `json:"domain"`
	NameZH     string     `json:"name_zh"`
	NameEN     string     `json:"name_en"`
	Health     *float64   `json:"health"`
	Indicators []signJSON `json:"indicators"`
}

type unitVitalsJSON struct {
	Unit    string       `json:"unit"`
	NameZH  string       `json:"name_zh"`
	NameEN  string       `json:"name_en"`
	Time    string       `json:"time,omitempty"`
	Overall float64      `json:"overall"`
	Worst   string       `json:"worst"`
	Domains []domainJSON `json:"domains"`
}

// getVitals answers the vital signs of a unit as the catalog's tree:
// domain › core indicator › sub-indicators, each with value, level and
// trend, and a health score per domain.
func (s *Server) getVitals(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	code := unitParam(r)
	if err := s.visibleUnit(p, code); err != nil {
		s.fail(w, r, err)
		return
	}
	us, _ := s.Vitals.Signs(code)
	bySign := make(map[string]engine.Sign, len(us.Signs))
	for _, sg := range us.Signs {
		bySign[sg.Indicator] = sg
	}
	out := unitVitalsJSON{Unit: cityCodeOf(code), Overall: us.Overall, Worst: levelName(us.Worst)}
	out.NameZH, out.NameEN = s.unitNames(code)
	if us.Time > 0 {
		out.Time = isoTime(us.Time)
	}
	for _, d := range s.Catalogs.Current().Tree() {
		dj := domainJSON{Domain: d.ID, NameZH: d.NameZH, NameEN: d.NameEN, Indicators: signNodes(d.Core, bySign)}
		if h, ok := us.Health[d.ID]; ok {
			dj.Health = &h
		}
		out.Domains = append(out.Domains, dj)
	}
	writeJSON(w, s.log, http.StatusOK, out)
}

func signNodes(nodes []indicator.Node, bySign map[string]engine.Sign) []signJSON {
	out := make([]signJSON, 0, len(nodes))
	for _, n := range nodes {
		ind := n.Indicator
		sj := signJSON{ID: ind.ID, NameZH: ind.NameZH, NameEN: ind.NameEN, Unit: ind.Unit,
			Level: levelName(indicator.LevelNoData), Window: ind.Window.String(), Trend: []float64{}}
		if sg, ok := bySign[ind.ID]; ok {
			sj.Level = levelName(sg.Level)
			if sg.HasValue {
				v := sg.Value
				sj.Value = &v
			}
			if sg.Trend != nil {
				sj.Trend = sg.Trend
			}
			if sg.Updated > 0 {
				sj.Updated = isoTime(sg.Updated)
			}
		}
		sj.Subs = signNodes(n.Subs, bySign)
		out = append(out, sj)
	}
	return out
}

// childVitalsJSON is one child unit for the map.
type childVitalsJSON struct {
	Code    string             `json:"code"`
	NameZH  string             `json:"name_zh"`
	NameEN  string             `json:"name_en"`
	Level   string             `json:"level"`
	Worst   string             `json:"worst"`
	Overall float64            `json:"overall"`
	Health  map[string]float64 `json:"health"`
	// With ?indicator=: that indicator's value and level in the child.
	Value          *float64 `json:"value,omitempty"`
	IndicatorLevel string   `json:"indicator_level,omitempty"`
}

// getChildVitals answers every child of a unit with its worst level and
// health, for colouring a map; ?indicator= adds that indicator's value.
func (s *Server) getChildVitals(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	code := unitParam(r)
	if err := s.visibleUnit(p, code); err != nil {
		s.fail(w, r, err)
		return
	}
	want := r.URL.Query().Get("indicator")
	if _, ok := s.Catalogs.Current().Program(want); want != "" && !ok {
		s.fail(w, r, model.Errorf(model.ENOTFOUND, "indicator %q not found", clipText(want)))
		return
	}
	items := []childVitalsJSON{}
	for _, child := range s.Inventory.Children(code) {
		if !s.visible(p, child) {
			continue
		}
		u, _ := s.Inventory.Unit(child)
		us, _ := s.Vitals.Signs(child)
		cj := childVitalsJSON{Code: child, NameZH: u.NameZH, NameEN: u.NameEN, Level: string(u.Level),
			Worst: levelName(us.Worst), Overall: us.Overall, Health: us.Health}
		if cj.Health == nil {
			cj.Health = map[string]float64{}
		}
		for _, sg := range us.Signs {
			if sg.Indicator == want {
				cj.IndicatorLevel = levelName(sg.Level)
				if sg.HasValue {
					v := sg.Value
					cj.Value = &v
				}
			}
		}
		items = append(items, cj)
	}
	writeJSON(w, s.log, http.StatusOK, listing[childVitalsJSON]{Items: items})
}

// visibleUnit checks the unit exists (or is the city) and is in reach.
func (s *Server) visibleUnit(p auth.Principal, code string) error {
	if code == "" {
		if scopeOf(p) != "" {
			return model.Errorf(model.EFORBIDDEN, "%s is limited to unit %q and may not see the whole city", p.Name(), scopeOf(p))
		}
		return nil
	}
	if _, ok := s.Inventory.Unit(code); !ok {
		return model.Errorf(model.ENOTFOUND, "unit %q not found", clipText(code))
	}
	if !s.visible(p, code) {
		return s.checkScope(p, code)
	}
	return nil
}

func (s *Server) unitNames(code string) (zh, en string) {
	if code == "" {
		return "全市", "Whole city"
	}
	u, _ := s.Inventory.Unit(code)
	return u.NameZH, u.NameEN
}

func cityCodeOf(code string) string {
	if code == "" {
		return cityCode
	}
	return code
}

func isoTime(ms int64) string { return time.UnixMilli(ms).UTC().Format(time.RFC3339) }

// getIndicatorHistory answers one indicator's values in one unit over time.
func (s *Server) getIndicatorHistory(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	code := unitParam(r)
	if err := s.visibleUnit(p, code); err != nil {
		s.fail(w, r, err)
		return
	}
	id := r.PathValue("indicator")
	if _, ok := s.Catalogs.Current().Program(id); !ok {
		s.fail(w, r, model.Errorf(model.ENOTFOUND, "indicator %q not found", clipText(id)))
		return
	}
	now := time.Now().UnixMilli()
	from, err1 := queryTime(r, "from", now-24*time.Hour.Milliseconds())
	to, err2 := queryTime(r, "to", now+1)
	limit, err3 := queryInt(r, "limit", 10_000, 1, 100_000)
	if err := firstErr(err1, err2, err3); err != nil {
		s.fail(w, r, err)
		return
	}
	values, err := s.Signs.IndicatorValues(r.Context(), code, id, from, to, int(limit))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	type point struct {
		Time  string  `json:"time"`
		Value float64 `json:"value"`
		Level string  `json:"level"`
	}
	items := make([]point, len(values))
	for i, v := range values {
		items[i] = point{Time: isoTime(v.Time), Value: v.Value, Level: levelName(indicator.Level(v.Level))}
	}
	writeJSON(w, s.log, http.StatusOK, map[string]any{"unit": cityCodeOf(code), "indicator": id, "items": items})
}

// levelChangeJSON is a level change on the wire.
type levelChangeJSON struct {
	Seq       int64   `json:"seq"`
	Time      string  `json:"time"`
	Unit      string  `json:"unit"`
	Indicator string  `json:"indicator"`
	From      string  `json:"from"`
	To        string  `json:"to"`
	Value     float64 `json:"value"`
	Threshold float64 `json:"threshold"`
	Window    string  `json:"window"`
}

func levelChangeOut(c model.LevelChange) levelChangeJSON {
	return levelChangeJSON{
		Seq: c.Seq, Time: isoTime(c.Time), Unit: cityCodeOf(c.Unit), Indicator: c.Indicator,
		From: levelName(indicator.Level(c.From)), To: levelName(indicator.Level(c.To)),
		Value: c.Value, Threshold: c.Threshold, Window: (time.Duration(c.WindowMs) * time.Millisecond).String(),
	}
}

// subscribeLevelChanges resumes after Last-Event-ID or ?after=SEQ
// (stored changes first), or with ?after=now follows only what comes next.
func (s *Server) subscribeLevelChanges(r *http.Request) (*vitals.Subscription, error) {
	after, err := strconv.ParseInt(r.Header.Get("Last-Event-ID"), 10, 64)
	if err == nil {
		return s.Feed.Subscribe(r.Context(), after, 10_000)
	}
	if r.URL.Query().Get("after") == "now" {
		return s.Feed.SubscribeNow()
	}
	if after, err = queryInt(r, "after", 0, 0, 1<<62); err != nil {
		return nil, err
	}
	return s.Feed.Subscribe(r.Context(), after, 10_000)
}

// listLevelChanges pages through stored level changes (?unit, ?indicator,
// ?after=seq, ?limit).
func (s *Server) listLevelChanges(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	q := r.URL.Query()
	unit := q.Get("unit")
	if unit == cityCode {
		unit = ""
	}
	if unit != "" || scopeOf(p) != "" {
		if err := s.visibleUnit(p, unit); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	after, err1 := queryInt(r, "after", 0, 0, 1<<62)
	limit, err2 := queryInt(r, "limit", 100, 1, 1000)
	if err := firstErr(err1, err2); err != nil {
		s.fail(w, r, err)
		return
	}
	changes, err := s.Signs.LevelChanges(r.Context(), store.LevelChangeFilter{
		Unit: unit, Indicator: q.Get("indicator"), AfterSeq: after, Limit: int(limit),
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	items := make([]levelChangeJSON, len(changes))
	for i, c := range changes {
		items[i] = levelChangeOut(c)
	}
	next := ""
	if len(items) == int(limit) {
		next = strconv.FormatInt(changes[len(changes)-1].Seq, 10)
	}
	writeJSON(w, s.log, http.StatusOK, listing[levelChangeJSON]{Items: items, Next: next})
}

// streamLevelChanges is a server-sent-event stream of level changes. A
// client resumes with Last-Event-ID (or ?after=) and misses nothing: the
// gap is read from the store before live changes follow.
func (s *Server) streamLevelChanges(w http.ResponseWriter, r *http.Request, p auth.Principal) {
	sub, err := s.subscribeLevelChanges(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer sub.Close()
	out, err := startSSE(w)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	send := func(c model.LevelChange) error {
		if scopeOf(p) != "" && (c.Unit == "" || s.checkScope(p, c.Unit) != nil) {
			return nil
		}
		return out.event(strconv.FormatInt(c.Seq, 10), "level_change", levelChangeOut(c))
	}
	for _, c := range sub.Backlog {
		if send(c) != nil {
			return
		}
	}
	keepAlive := time.NewTicker(keepAliveEvery)
	defer keepAlive.Stop()
	for {
		select {
		case c, ok := <-sub.C:
			if !ok || send(c) != nil {
				return // fell behind or shutting down: the client resumes
			}
		case <-keepAlive.C:
			if out.keepAlive() != nil {
				return
			}
		case <-r.Context().Done():
			return
		}
	}
}
