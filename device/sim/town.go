// Package sim runs a town of virtual people carrying virtual phones (package
// device) over simulated days in a simulated air (package radio), against a
// real Bluezone server reached over HTTP. It is the engine of `bluezone demo`
// and of the end-to-end tests: it builds households, workplaces and a café,
// moves people on daily schedules, lets their phones hear each other, makes
// one person a confirmed case who reports, warns the F1s, lets one F1 warn
// their own contacts, and compares the warnings with the ground truth of who
// actually spent 15 minutes within 2 m of whom.
//
// Geometry is chosen so that the rule's answer is clear: people are either
// within about 1.7 m (family at the table, colleagues in a desk pod, friends
// at a café table) or at least about 5 m apart or behind a wall, and
// encounters last either at most 5 minutes or at least 25, so tests can
// assert exact outcomes while radio noise stays realistic.
//
// It is not part of the phone library and not a load generator.
package sim

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Local time of the town (Vietnam, UTC+7, no daylight saving).
var local = time.FixedZone("ICT", 7*3600)

// place kinds
const (
	kindHome = iota
	kindWork
	kindCafe
)

// Person is one inhabitant.
type Person struct {
	ID        int
	Name      string
	Household int
	Work      int // workplace index, -1 if none
	Pod, Desk int // desk pod and seat at work
	AppOn     bool

	segs []segment // where the person was, for ground truth
}

// segment is a stay at one position.
type segment struct {
	from, to    int64 // unix seconds
	place, room string
	x, y        float64
}

type move struct {
	at          int64
	person      int
	place, room string
	x, y        float64
	away        bool // out of every place
}

var givenNames = []string{"An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hoa", "Hùng", "Huy", "Khánh",
	"Lan", "Linh", "Long", "Mai", "Minh", "My", "Nam", "Ngọc", "Nhung", "Phong", "Phúc", "Quân", "Quang", "Sơn",
	"Tâm", "Thảo", "Thắng", "Thu", "Trang", "Trung", "Tú", "Tuấn", "Vân", "Việt", "Vy", "Yến"}
var familyNames = []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"}

// town is the static layout and the people.
type town struct {
	people     []*Person
	households [][]int
	workplaces [][]int
	cafeTables int
	rng        *rand.Rand
}

func buildTown(n int, appOff float64, rng *rand.Rand) *town {
	tw := &town{rng: rng}
	for id := 0; id < n; {
		size := []int{1, 2, 2, 3, 3, 3, 4, 4, 4, 5, 5, 6}[rng.IntN(12)]
		size = min(size, n-id)
		h := len(tw.households)
		fam := familyNames[rng.IntN(len(familyNames))]
		var members []int
		for k := 0; k < size; k++ {
			p := &Person{ID: id, Household: h, Work: -1, AppOn: rng.Float64() >= appOff,
				Name: fmt.Sprintf("%s %s #%d", fam, givenNames[rng.IntN(len(givenNames))], id)}
			tw.people = append(tw.people, p)
			members = append(members, id)
			id++
		}
		tw.households = append(tw.households, members)
	}
	// About 60 % work, in workplaces of 4–24 people, four desks a pod.
	var workers []int
	for _, p := range tw.people {
		if rng.Float64() < 0.6 {
			workers = append(workers, p.ID)
		}
	}
	rng.Shuffle(len(workers), func(i, j int) { workers[i], workers[j] = workers[j], workers[i] })
	for len(workers) > 0 {
		size := min(4+rng.IntN(21), len(workers))
		w := len(tw.workplaces)
		tw.workplaces = append(tw.workplaces, workers[:size])
		for k, id := range workers[:size] {
			p := tw.people[id]
			p.Work, p.Pod, p.Desk = w, k/4, k%4
		}
		workers = workers[size:]
	}
	tw.cafeTables = max(10, n/15)
	return tw
}

// Positions. Homes: a 2 m dining table in the living room, bedrooms behind
// walls. Work: pods of four desks at the corners of a 1.2 m square, pods 10
// m apart. Café: tables of four seats 0.8 m apart, tables 6 m apart, a
// counter corner for take-away.

func homeTable(seat int) (float64, float64) {
	// Seats around a table: within 1.7 m of each other.
	xs := []float64{0, 1.2, 0, 1.2, 0.6, 0.6}
	ys := []float64{0, 0, 1.2, 1.2, -0.4, 1.6}
	return xs[seat%6], ys[seat%6]
}

func deskPos(pod, desk int) (float64, float64) {
	px, py := float64(pod%5)*10, float64(pod/5)*10
	return px + float64(desk%2)*1.2, py + float64(desk/2)*1.2
}

func cafeSeat(table, seat int) (float64, float64) {
	tx, ty := float64(table%8)*6, 10+float64(table/8)*6
	return tx + float64(seat%2)*0.8, ty + float64(seat/2)*0.8
}
