package radio

import (
	"container/heap"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/bluezone-vn/bluezone/internal/clock"
)

// AirConfig configures a simulated air.
type AirConfig struct {
	// Model is the propagation model.
	Model Model
	// Seed makes the simulation reproducible (noise and scan phases).
	Seed uint64
	// ScanEveryMin and ScanEveryMax bound the random time between the
	// starts of two scans of one radio; Android scans 4 s every 210–300 s.
	ScanEveryMin, ScanEveryMax time.Duration
}

// DefaultAirConfig returns the duty cycle of Android's Exposure Notification
// scanner and DefaultModel.
func DefaultAirConfig(seed uint64) AirConfig {
	return AirConfig{Model: DefaultModel(), Seed: seed, ScanEveryMin: 210 * time.Second, ScanEveryMax: 300 * time.Second}
}

// Validate checks the configuration.
func (c AirConfig) Validate() error {
	if err := c.Model.Validate(); err != nil {
		return fmt.Errorf("radio model: %w", err)
	}
	if c.ScanEveryMin <= 0 || c.ScanEveryMax < c.ScanEveryMin {
		return fmt.Errorf("scan period %v..%v: need 0 < min ≤ max", c.ScanEveryMin, c.ScanEveryMax)
	}
	return nil
}

// Air is a simulated ether: radios at positions in rooms of places, over
// simulated time. Time moves only in RunUntil, which processes scans as
// events in time order (no per-second loop) and looks for advertisers only
// among the radios in the scanner's place. Air sets the fake clock it was
// given to each event's time, so device agents reading that clock see
// simulated time.
//
// Air is safe for concurrent use, but receivers and advertisers are called
// from the goroutine running RunUntil, without Air's lock held.
type Air struct {
	cfg   AirConfig
	clock *clock.Fake

	mu     sync.Mutex
	rng    *rand.Rand
	places map[string]*place
	queue  scanQueue
	seq    uint64
	radios []*SimRadio
	stats  AirStats
	buf    []hearing
}

// AirStats counts what the air did.
type AirStats struct {
	Scans int64 // scans run
	Heard int64 // advertisers reported to receivers
}

type place struct {
	radios []*SimRadio
}

type hearing struct {
	src           Advertiser
	rssi, maxRSSI int
}

// NewAir returns an empty air driving clk.
func NewAir(clk *clock.Fake, cfg AirConfig) (*Air, error) {
	if clk == nil {
		return nil, errors.New("radio: nil clock")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Air{
		cfg:    cfg,
		clock:  clk,
		rng:    rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		places: map[string]*place{},
	}, nil
}

// RadioParams describe one simulated phone's radio hardware.
type RadioParams struct {
	// TxPowerDbm is the power the phone actually radiates.
	TxPowerDbm float64
	// RxBiasDb is the phone's receiver error: it reports RSSI this much
	// above the true received power (per-model calibration differences).
	RxBiasDb float64
}

// NewRadio adds a radio to the air. It is nowhere (hears and is heard by
// nobody) until MoveTo.
func (a *Air) NewRadio(name string, p RadioParams) *SimRadio {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := &SimRadio{air: a, name: name, params: p, idx: -1}
	a.radios = append(a.radios, r)
	return r
}

// Stats returns counters of the work done so far.
func (a *Air) Stats() AirStats {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.stats
}

// Model returns the air's propagation model.
func (a *Air) Model() Model { return a.cfg.Model }

// Now returns the simulated time.
func (a *Air) Now() time.Time { return a.clock.Now() }

// RunUntil runs every scan due up to and including t, in time order, then
// sets the clock to t. Moves made between calls take effect from the next
// scan.
func (a *Air) RunUntil(t time.Time) {
	for {
		a.mu.Lock()
		if len(a.queue) == 0 || a.queue[0].at.After(t) {
			a.mu.Unlock()
			break
		}
		ev := heap.Pop(&a.queue).(*scanEvent)
		r := ev.radio
		if ev.gen != r.scanGen || r.receiver == nil {
			a.mu.Unlock()
			continue // scanning was stopped or restarted since
		}
		a.clock.Set(ev.at)
		hs := a.scanLocked(r)
		recv := r.receiver
		// The next scan starts a random 210–300 s later.
		a.scheduleLocked(r, ev.at.Add(a.randDuration(a.cfg.ScanEveryMin, a.cfg.ScanEveryMax)))
		a.stats.Scans++
		a.stats.Heard += int64(len(hs))
		a.mu.Unlock()

		n := 0
		for i := range hs {
			p := hs[i].src.AdvertisementPayload()
			if p == nil {
				continue
			}
			recv.Heard(p, hs[i].rssi, hs[i].maxRSSI)
			n++
		}
		recv.ScanDone(n)
		a.mu.Lock()
		a.buf = hs[:0]
		a.mu.Unlock()
	}
	if t.After(a.clock.Now()) {
		a.clock.Set(t)
	}
}

// scanLocked returns what r hears now.
func (a *Air) scanLocked(r *SimRadio) []hearing {
	hs := a.buf[:0]
	a.buf = nil
	if r.place == nil {
		return hs
	}
	m := a.cfg.Model
	for _, o := range r.place.radios {
		if o == r || o.advertiser == nil {
			continue
		}
		walls := 0
		if o.room != r.room {
			if m.WallLossDb < 0 {
				continue
			}
			walls = 1
		}
		d := math.Hypot(o.x-r.x, o.y-r.y)
		mean := o.params.TxPowerDbm - m.PathLossDb(d, walls) + r.params.RxBiasDb
		// Cheap cut-off before drawing noise: 5 σ below sensitivity.
		if mean+5*(m.ShadowingDb+m.FastFadingDb) < m.SensitivityDbm {
			continue
		}
		typ, strong := m.sample(a.rng, mean)
		if typ < m.SensitivityDbm {
			continue
		}
		hs = append(hs, hearing{src: o.advertiser, rssi: int(math.Round(typ)), maxRSSI: int(math.Round(strong))})
	}
	return hs
}

func (a *Air) randDuration(min, max time.Duration) time.Duration {
	if max <= min {
		return min
	}
	return min + time.Duration(a.rng.Int64N(int64(max-min)+1))
}

func (a *Air) scheduleLocked(r *SimRadio, at time.Time) {
	a.seq++
	heap.Push(&a.queue, &scanEvent{at: at, seq: a.seq, radio: r, gen: r.scanGen})
}

// scanEvent is one scheduled scan.
type scanEvent struct {
	at    time.Time
	seq   uint64
	radio *SimRadio
	gen   uint64
}

type scanQueue []*scanEvent

func (q scanQueue) Len() int { return len(q) }
func (q scanQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q scanQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *scanQueue) Push(x any)   { *q = append(*q, x.(*scanEvent)) }
func (q *scanQueue) Pop() any {
	old := *q
	n := len(old)
	x := old[n-1]
	old[n-1] = nil
	*q = old[:n-1]
	return x
}
