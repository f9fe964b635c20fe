package simulate

import (
	"fmt"
	"math/rand/v2"

	"cityvitals/model"
)

// teamSpec is how one department staffs the demo city: a team per
// district with these skills (incident categories, as in
// plan/defaults/vocabulary.yaml), travel mode and duty.
type teamSpec struct {
	dept, nameZH string
	skills       []string
	mode         model.TravelMode
	shifts       []string
	capacity     int
}

var allDay = []string{"daily 00:00-24:00"}

// departmentTeams lists, per department id of the plan vocabulary, the
// field teams the demo city has.
var departmentTeams = []teamSpec{
	{"gas", "燃气抢修队", []string{"gas_leak"}, model.ModeVan, allDay, 2},
	{"water", "供水抢修队", []string{"water_main_burst"}, model.ModeVan, allDay, 2},
	{"drainage", "排水抢险队", []string{"waterlogging"}, model.ModeVan, allDay, 3},
	{"power", "供电抢修队", []string{"power_outage"}, model.ModeVan, allDay, 2},
	{"police", "治安巡逻队", []string{"crowd"}, model.ModeCar, allDay, 3},
	{"traffic-police", "交警中队", []string{"crowd", "waterlogging"}, model.ModeCar, allDay, 3},
	{"fire", "消防救援站", []string{"fire", "gas_leak"}, model.ModeVan, allDay, 2},
	{"metro", "地铁站务组", []string{"crowd"}, model.ModeWalk, []string{"daily 05:00-24:00"}, 2},
	{"roads", "道路养护队", []string{"manhole_cover", "dirty_road"}, model.ModeVan, []string{"daily 07:00-22:00"}, 3},
	{"greening", "市容绿化队", []string{"streetlight", "exposed_garbage"}, model.ModeBike, []string{"daily 06:00-20:00"}, 4},
	{"street-office", "街道网格巡查队", []string{"exposed_garbage", "dirty_road", "noise", "illegal_building", "other"}, model.ModeBike, []string{"mon-fri 08:30-17:30", "sat,sun 09:00-17:00"}, 4},
	{"housing", "物业维修队", []string{"other"}, model.ModeCar, []string{"daily 08:00-20:00"}, 2},
}

// generateTeams gives every department one team per district, stationed
// near the district's middle.
func generateTeams(seed int64, c *City) []model.Team {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x7465616d))
	var teams []model.Team
	for _, spec := range departmentTeams {
		for d, code := range c.Districts {
			u := c.unit(code)
			centre := u.Geometry.Bound().Center()
			pos := offsetM(centre, (rng.Float64()-0.5)*3000, (rng.Float64()-0.5)*3000)
			teams = append(teams, model.Team{
				Name: fmt.Sprintf("%s（演示%d区）", spec.nameZH, d+1), Dept: spec.dept,
				Skills: spec.skills, Mode: spec.mode, Lon: pos[0], Lat: pos[1],
				Shifts: spec.shifts, TimeZone: model.DefaultTeamTimeZone, Capacity: spec.capacity,
			})
		}
	}
	return teams
}

// unit returns the generated unit with the code (zero if none).
func (c *City) unit(code string) model.Unit {
	for _, u := range c.Units {
		if u.Code == code {
			return u
		}
	}
	return model.Unit{}
}
