package sim

import (
	"sort"
	"time"
)

// The daily routine, in local time:
//
//	00:00–06:30  own room at home (behind walls from the family)
//	06:30–07:15  breakfast at the family table
//	workers: 07:45–11:30 at their desk; lunch 11:30–12:30 at the café with
//	  pod mates (35 %) or away; 12:30–17:00 desk; home at 17:45
//	others: own room; 35 % visit the café for 25–60 min with a friend or
//	  alone, 15 % buy a take-away drink (2–4 min at the counter)
//	18:30–19:30  dinner at the family table; then own room
//
// An isolated person stays in their own room all day.

// at returns unix seconds of local h:m on day.
func at(day time.Time, h, m int) int64 {
	return time.Date(day.Year(), day.Month(), day.Day(), h, m, 0, 0, local).Unix()
}

func ownRoom(p *Person, hh []int) (string, float64, float64) {
	k := 0
	for i, id := range hh {
		if id == p.ID {
			k = i
		}
	}
	return "room" + string(rune('A'+k)), 3 * float64(k), 6
}

// tableSlot is a café table's busy time.
type tableSlot struct{ from, to int64 }

// planDay returns the moves of one local day, sorted by time.
func (s *Sim) planDay(day time.Time) []move {
	rng := s.town.rng
	var mv []move
	home := func(p *Person, t int64) {
		room, x, y := ownRoom(p, s.town.households[p.Household])
		mv = append(mv, move{at: t, person: p.ID, place: placeHome(p.Household), room: room, x: x, y: y})
	}
	table := func(p *Person, t int64) {
		seat := 0
		for i, id := range s.town.households[p.Household] {
			if id == p.ID {
				seat = i
			}
		}
		x, y := homeTable(seat)
		mv = append(mv, move{at: t, person: p.ID, place: placeHome(p.Household), room: "living", x: x, y: y})
	}
	away := func(p *Person, t int64) { mv = append(mv, move{at: t, person: p.ID, away: true}) }

	busy := make([][]tableSlot, s.town.cafeTables)
	seatGroup := func(group []*Person, from, to int64) {
		for tb := range busy {
			free := true
			for _, sl := range busy[tb] {
				if from < sl.to+300 && sl.from < to+300 {
					free = false
					break
				}
			}
			if !free {
				continue
			}
			busy[tb] = append(busy[tb], tableSlot{from, to})
			for k, p := range group {
				x, y := cafeSeat(tb, k)
				mv = append(mv, move{at: from, person: p.ID, place: "café", room: "hall", x: x, y: y})
			}
			s.cafeVisits += len(group)
			return
		}
		// Café full: they go elsewhere.
		for _, p := range group {
			away(p, from)
		}
	}

	// Pick today's café and take-away plans first (groups need partners).
	lunchGroups := map[[2]int][]*Person{} // (workplace, pod) → pod mates going
	var visitors []*Person
	scripted := map[int]bool{}
	if s.cfg.Witnesses && day.Equal(s.dayStart(s.cfg.CaseDay)) {
		scripted[s.caseID] = true
		for _, w := range s.witnesses {
			if w >= 0 {
				scripted[w] = true
			}
		}
	}
	for _, p := range s.town.people {
		if s.isolated[p.ID] || scripted[p.ID] {
			continue
		}
		if p.Work >= 0 {
			if rng.Float64() < 0.35 {
				k := [2]int{p.Work, p.Pod}
				lunchGroups[k] = append(lunchGroups[k], p)
			}
		} else if rng.Float64() < 0.35 {
			visitors = append(visitors, p)
		}
	}

	for _, p := range s.town.people {
		if s.isolated[p.ID] {
			home(p, at(day, 0, 0))
			continue
		}
		home(p, at(day, 0, 0))
		table(p, at(day, 6, 30))
		home(p, at(day, 7, 15))
		if p.Work >= 0 {
			x, y := deskPos(p.Pod, p.Desk)
			work := placeWork(p.Work)
			away(p, at(day, 7, 20))
			mv = append(mv, move{at: at(day, 7, 45), person: p.ID, place: work, room: "floor", x: x, y: y})
			away(p, at(day, 11, 30)) // lunch out unless with the pod at the café (below)
			mv = append(mv, move{at: at(day, 12, 30), person: p.ID, place: work, room: "floor", x: x, y: y})
			away(p, at(day, 17, 0))
			home(p, at(day, 17, 45))
		} else if rng.Float64() < 0.15 && !scripted[p.ID] {
			t := at(day, 8+rng.IntN(9), rng.IntN(60))
			away(p, t-300)
			mv = append(mv, move{at: t, person: p.ID, place: "café", room: "counter", x: 50 + rng.Float64()*1.5, y: rng.Float64() * 1.5})
			home(p, t+int64(120+rng.IntN(121)))
			s.takeAways++
		}
		table(p, at(day, 18, 30))
		home(p, at(day, 19, 30))
	}
	if len(scripted) > 0 {
		s.planWitnesses(day, &mv)
	}
	// Lunch at the café: pod mates share a table for the hour.
	keys := make([][2]int, 0, len(lunchGroups))
	for k := range lunchGroups {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool {
		return keys[a][0] < keys[b][0] || keys[a][0] == keys[b][0] && keys[a][1] < keys[b][1]
	})
	for _, k := range keys {
		seatGroup(lunchGroups[k], at(day, 11, 35), at(day, 12, 25))
	}
	// Daytime visitors: pairs of friends or alone, 25–60 min.
	for i := 0; i < len(visitors); {
		n := 1
		if i+1 < len(visitors) && rng.Float64() < 0.5 {
			n = 2
		}
		group := visitors[i : i+n]
		i += n
		from := at(day, 8, 0) + int64(rng.IntN(8*60))*60
		to := from + int64(25+rng.IntN(36))*60
		for _, p := range group {
			away(p, from-600)
		}
		seatGroup(group, from, to)
		for _, p := range group {
			away(p, to)
			home(p, to+600)
		}
	}
	sort.SliceStable(mv, func(a, b int) bool { return mv[a].at < mv[b].at })
	return mv
}

// planWitnesses adds the scripted lunch on the café terrace: the case at
// (0,0) from 11:35 to 12:25; a passer-by at 1 m for 2 minutes; a reader at
// 8 m for 40 minutes; a neighbour at 1 m for 40 minutes with the app off.
func (s *Sim) planWitnesses(day time.Time, mv *[]move) {
	add := func(id int, h, m int, x, y float64) {
		*mv = append(*mv, move{at: at(day, h, m), person: id, place: "café", room: "terrace", x: x, y: y})
	}
	leave := func(id int, h, m int) { *mv = append(*mv, move{at: at(day, h, m), person: id, away: true}) }
	goHome := func(id int, h, m int) {
		p := s.town.people[id]
		room, x, y := ownRoom(p, s.town.households[p.Household])
		*mv = append(*mv, move{at: at(day, h, m), person: id, place: placeHome(p.Household), room: room, x: x, y: y})
	}
	add(s.caseID, 11, 35, 0, 0)
	if w := s.witnesses[0]; w >= 0 {
		leave(w, 11, 45)
		add(w, 11, 50, 1, 0)
		leave(w, 11, 52)
		goHome(w, 12, 0)
	}
	if w := s.witnesses[1]; w >= 0 {
		leave(w, 11, 30)
		add(w, 11, 40, 8, 0)
		leave(w, 12, 20)
		goHome(w, 12, 30)
	}
	if w := s.witnesses[2]; w >= 0 {
		leave(w, 11, 30)
		add(w, 11, 40, 0, 1)
		leave(w, 12, 20)
		goHome(w, 12, 30)
	}
}

func placeHome(h int) string { return "home-" + itoa(h) }
func placeWork(w int) string { return "work-" + itoa(w) }

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
