package radio

import (
	"errors"
	"time"
)

// SimRadio is one phone's radio in a simulated Air. It implements Radio.
type SimRadio struct {
	air    *Air
	name   string
	params RadioParams

	// Guarded by air.mu.
	place      *place
	placeName  string
	room       string
	x, y       float64
	idx        int // index in place.radios, -1 when nowhere
	advertiser Advertiser
	receiver   Receiver
	scanGen    uint64
}

var _ Radio = (*SimRadio)(nil)

// Name returns the name given to NewRadio.
func (r *SimRadio) Name() string { return r.name }

// Params returns the radio's hardware parameters.
func (r *SimRadio) Params() RadioParams { return r.params }

// MoveTo puts the radio at (x, y) metres in room of place. Radios hear each
// other only within one place; rooms of a place are separated by walls.
func (r *SimRadio) MoveTo(placeName, room string, x, y float64) {
	a := r.air
	a.mu.Lock()
	defer a.mu.Unlock()
	if r.place != nil && r.placeName != placeName {
		r.leaveLocked()
	}
	if r.place == nil {
		p := a.places[placeName]
		if p == nil {
			p = &place{}
			a.places[placeName] = p
		}
		r.place, r.placeName = p, placeName
		r.idx = len(p.radios)
		p.radios = append(p.radios, r)
	}
	r.room, r.x, r.y = room, x, y
}

// Leave takes the radio out of every place (travelling, out of range of all).
func (r *SimRadio) Leave() {
	r.air.mu.Lock()
	defer r.air.mu.Unlock()
	r.leaveLocked()
}

func (r *SimRadio) leaveLocked() {
	p := r.place
	if p == nil {
		return
	}
	last := len(p.radios) - 1
	p.radios[r.idx] = p.radios[last]
	p.radios[r.idx].idx = r.idx
	p.radios[last] = nil
	p.radios = p.radios[:last]
	r.place, r.placeName, r.idx = nil, "", -1
}

// Where returns the radio's place, room and position ("" when nowhere).
func (r *SimRadio) Where() (placeName, room string, x, y float64) {
	r.air.mu.Lock()
	defer r.air.mu.Unlock()
	return r.placeName, r.room, r.x, r.y
}

// Advertise implements Radio.
func (r *SimRadio) Advertise(src Advertiser) error {
	if src == nil {
		return errors.New("radio: nil advertiser")
	}
	r.air.mu.Lock()
	r.advertiser = src
	r.air.mu.Unlock()
	return nil
}

// StopAdvertising implements Radio.
func (r *SimRadio) StopAdvertising() {
	r.air.mu.Lock()
	r.advertiser = nil
	r.air.mu.Unlock()
}

// StartScanning implements Radio. The first scan comes at a random moment
// within one scan period, so radios started together do not scan in step.
func (r *SimRadio) StartScanning(rcv Receiver) error {
	if rcv == nil {
		return errors.New("radio: nil receiver")
	}
	a := r.air
	a.mu.Lock()
	defer a.mu.Unlock()
	r.receiver = rcv
	r.scanGen++
	first := a.randDuration(0, a.cfg.ScanEveryMax)
	a.scheduleLocked(r, a.clock.Now().Add(first+time.Second))
	return nil
}

// StopScanning implements Radio.
func (r *SimRadio) StopScanning() {
	r.air.mu.Lock()
	r.receiver = nil
	r.scanGen++
	r.air.mu.Unlock()
}
