package crew

// skillIndex numbers the skills of one planning call so that "does this
// team have every skill the job needs" is a few word operations.
type skillIndex struct {
	bit   map[string]int
	words int
	teams [][]uint64 // per team (index into State.Teams): its skills as a bit set
}

func newSkillIndex(st State) *skillIndex {
	x := &skillIndex{bit: make(map[string]int)}
	for _, t := range st.Teams {
		for _, s := range t.Skills {
			if _, ok := x.bit[s]; !ok {
				x.bit[s] = len(x.bit)
			}
		}
	}
	x.words = (len(x.bit) + 63) / 64
	x.teams = make([][]uint64, len(st.Teams))
	for k, t := range st.Teams {
		x.teams[k] = x.of(t.Skills)
	}
	return x
}

// of returns skills as a bit set, or nil if some skill belongs to no
// team, which no team can then satisfy.
func (x *skillIndex) of(skills []string) []uint64 {
	set := make([]uint64, x.words)
	for _, s := range skills {
		b, ok := x.bit[s]
		if !ok {
			return nil
		}
		set[b/64] |= 1 << (b % 64)
	}
	return set
}

// teamHas reports whether team k has every skill in need (nil: never).
func (x *skillIndex) teamHas(k int, need []uint64) bool {
	if need == nil {
		return false
	}
	for w, bits := range need {
		if x.teams[k][w]&bits != bits {
			return false
		}
	}
	return true
}
