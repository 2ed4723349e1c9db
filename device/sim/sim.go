package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/bluezone-vn/bluezone/device"
	"github.com/bluezone-vn/bluezone/gaen"
	"github.com/bluezone-vn/bluezone/internal/clock"
	"github.com/bluezone-vn/bluezone/radio"
)

// Server is the health authority's side as the scenario needs it: a real
// server reached at URL, plus what health workers and operators do there.
type Server interface {
	// URL is the server's base URL.
	URL() string
	// DeviceAPIKey is the app's key for /api/verify and /api/certificate.
	DeviceAPIKey() string
	// IssueCode has a health worker issue a verification code of testType
	// ("confirmed" or "contact") with the given symptom onset date.
	IssueCode(ctx context.Context, testType string, symptomDate time.Time) (string, error)
	// Export builds every export file that is due now.
	Export(ctx context.Context) error
}

// Config configures a scenario.
type Config struct {
	People, Days int
	Seed         uint64
	// Start is day 0's local midnight (default 2020-07-20, Vietnam time).
	Start time.Time
	// AppOff is the share of people whose app is switched off.
	AppOff float64
	// Dir holds the device directories.
	Dir string
	// Clock is the simulated time, shared with the server. Required.
	Clock *clock.Fake
	// HTTPClient is the devices' client (default: 30 s timeout).
	HTTPClient *http.Client
	// Timeline receives the readable story (nil: discarded).
	Timeline io.Writer
	// Progress is told the simulated minutes done out of total.
	Progress func(done, total int64)
	// CaseDay is the day (0-based) on whose evening the case reports;
	// default Days-2.
	CaseDay int
	// Witnesses adds three scripted people around the case's lunch at the
	// café on CaseDay: one passing by at 1 m for 2 minutes, one reading at
	// 8 m for 40 minutes, and one at 1 m for 40 minutes with the app off.
	Witnesses bool
	// RecordRPIs keeps every identifier broadcast (see Sim.Broadcast).
	RecordRPIs bool
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	switch {
	case c.People < 4:
		return fmt.Errorf("people %d: need at least 4", c.People)
	case c.Days < 2 || c.Days > 13:
		return fmt.Errorf("days %d: need 2..13", c.Days)
	case c.Clock == nil:
		return errors.New("sim: nil clock")
	case c.Dir == "":
		return errors.New("sim: empty device directory")
	case c.AppOff < 0 || c.AppOff >= 1:
		return fmt.Errorf("app-off share %v: need 0 ≤ x < 1", c.AppOff)
	case c.CaseDay < 0 || c.CaseDay >= c.Days:
		return fmt.Errorf("case day %d: need 0..%d", c.CaseDay, c.Days-1)
	}
	return nil
}

// Sim is one scenario run.
type Sim struct {
	cfg     Config
	srv     Server
	town    *town
	air     *radio.Air
	radios  []*radio.SimRadio
	devices []*device.Device
	out     io.Writer

	isolated   map[int]bool
	caseID     int
	witnesses  [3]int // passer-by, far reader, app-off neighbour; -1 if none
	rpis       map[[16]byte]struct{}
	rpiMu      sync.Mutex
	cafeVisits int
	takeAways  int
	current    []segment // each person's open segment
	syncs      int
}

// New prepares a scenario: the town, the air, and one device directory per
// person (created, trusting the server's export keys, started unless the
// person's app is off).
func New(ctx context.Context, cfg Config, srv Server) (*Sim, error) {
	if cfg.Start.IsZero() {
		cfg.Start = time.Date(2020, 7, 20, 0, 0, 0, 0, local)
	}
	if cfg.CaseDay == 0 && cfg.Days >= 2 {
		cfg.CaseDay = cfg.Days - 2
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if srv == nil {
		return nil, errors.New("sim: nil server")
	}
	out := cfg.Timeline
	if out == nil {
		out = io.Discard
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0xb1e20e))
	cfg.Clock.Set(cfg.Start)
	air, err := radio.NewAir(cfg.Clock, radio.DefaultAirConfig(cfg.Seed))
	if err != nil {
		return nil, err
	}
	s := &Sim{cfg: cfg, srv: srv, town: buildTown(cfg.People, cfg.AppOff, rng), air: air, out: out, isolated: map[int]bool{}}
	s.current = make([]segment, cfg.People)
	s.witnesses = [3]int{-1, -1, -1}
	if cfg.RecordRPIs {
		s.rpis = map[[16]byte]struct{}{}
	}
	s.caseID = s.pickCase()
	if cfg.Witnesses {
		s.pickWitnesses()
	}

	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, err
	}
	var trusted []device.TrustedKey
	for _, p := range s.town.people {
		// Phone models differ: true TX power and receiver bias vary by a few
		// dB; each phone's calibration corrects most of it.
		tx := -15 + rng.NormFloat64()*1.5
		rxBias := rng.NormFloat64() * 3
		r := air.NewRadio(p.Name, radio.RadioParams{TxPowerDbm: tx, RxBiasDb: rxBias})
		s.radios = append(s.radios, r)
		dcfg := device.DefaultConfig(srv.URL())
		dcfg.APIKey = srv.DeviceAPIKey()
		dcfg.Province = "48" // Đà Nẵng
		dcfg.Platform = []string{"android", "ios"}[rng.IntN(2)]
		dcfg.TXPower = int(math.Round(tx + rng.NormFloat64()*0.5))
		dcfg.RSSIOffset = int(math.Round(-rxBias + rng.NormFloat64()*0.5))
		// Phone clocks are off by up to a minute.
		drift := time.Duration(rng.IntN(120)-60) * time.Second
		opts := &device.Options{
			Clock:             clock.Func(func() time.Time { return cfg.Clock.Now().Add(drift) }),
			HTTPClient:        cfg.HTTPClient,
			FlushEverySeconds: 6 * 3600,
			NoSync:            true,
		}
		d, err := device.Create(filepath.Join(cfg.Dir, fmt.Sprintf("phone-%04d", p.ID)), dcfg, opts)
		if err != nil {
			return nil, err
		}
		s.devices = append(s.devices, d)
		if trusted == nil {
			if _, err := d.FetchTrustedKeys(ctx); err != nil {
				return nil, err
			}
		} else {
			for _, k := range trusted {
				if err := d.TrustKey(k.KeyID, k.KeyVersion, k.PublicKeyPEM); err != nil {
					return nil, err
				}
			}
		}
		if trusted == nil {
			trusted = d.TrustedKeys()
		}
		if p.AppOn {
			var rr radio.Radio = r
			if s.rpis != nil {
				rr = &recordingRadio{Radio: r, s: s}
			}
			if err := d.Start(rr); err != nil {
				return nil, err
			}
		}
	}
	return s, nil
}

// recordingRadio notes every identifier its device broadcasts.
type recordingRadio struct {
	radio.Radio
	s *Sim
}

func (r *recordingRadio) Advertise(src radio.Advertiser) error {
	return r.Radio.Advertise(&recordingAdvertiser{src: src, s: r.s})
}

type recordingAdvertiser struct {
	src  radio.Advertiser
	s    *Sim
	last []byte
}

func (a *recordingAdvertiser) AdvertisementPayload() []byte {
	p := a.src.AdvertisementPayload()
	if len(p) == 31 && (a.last == nil || &p[0] != &a.last[0]) {
		a.last = p
		if adv, err := gaen.ParsePayload(p); err == nil {
			a.s.rpiMu.Lock()
			a.s.rpis[adv.RPI] = struct{}{}
			a.s.rpiMu.Unlock()
		}
	}
	return p
}

// Broadcast returns every identifier the phones broadcast (Config.RecordRPIs).
func (s *Sim) Broadcast() [][16]byte {
	s.rpiMu.Lock()
	defer s.rpiMu.Unlock()
	out := make([][16]byte, 0, len(s.rpis))
	for r := range s.rpis {
		out = append(out, r)
	}
	return out
}

// pickWitnesses chooses three people without a job outside the case's
// household; the third has the app off.
func (s *Sim) pickWitnesses() {
	c := s.town.people[s.caseID]
	k := 0
	for _, p := range s.town.people {
		if k == 3 {
			break
		}
		if p.Work < 0 && p.Household != c.Household && (p.AppOn || k == 2) {
			s.witnesses[k] = p.ID
			k++
		}
	}
	if k == 3 {
		s.town.people[s.witnesses[2]].AppOn = false
	}
}

// Witnesses returns the scripted passer-by, far reader and app-off
// neighbour (-1 when Config.Witnesses is off).
func (s *Sim) Witnesses() (passerBy, farReader, appOff int) {
	return s.witnesses[0], s.witnesses[1], s.witnesses[2]
}

// Close stops and closes every device.
func (s *Sim) Close() error {
	var errs []error
	for _, d := range s.devices {
		errs = append(errs, d.Close())
	}
	return errors.Join(errs...)
}

// People returns the inhabitants.
func (s *Sim) People() []*Person { return s.town.people }

// Device returns person id's device.
func (s *Sim) Device(id int) *device.Device { return s.devices[id] }

// Air returns the simulated air.
func (s *Sim) Air() *radio.Air { return s.air }

// apply performs one move and records the ground-truth segment.
func (s *Sim) apply(m move) {
	p := s.town.people[m.person]
	cur := &s.current[m.person]
	if cur.from != 0 && m.at > cur.from {
		cur.to = m.at
		if cur.place != "" {
			p.segs = append(p.segs, *cur)
		}
	}
	*cur = segment{from: m.at, place: m.place, room: m.room, x: m.x, y: m.y}
	if m.away {
		cur.place = ""
		s.radios[m.person].Leave()
		return
	}
	s.radios[m.person].MoveTo(m.place, m.room, m.x, m.y)
}

// runUntil runs the air up to t, reporting progress.
func (s *Sim) runUntil(t int64) {
	s.air.RunUntil(time.Unix(t, 0))
	if s.cfg.Progress != nil {
		total := int64(s.cfg.Days) * 24 * 60
		done := (t - s.cfg.Start.Unix()) / 60
		s.cfg.Progress(min(done, total), total)
	}
}

// closeSegments ends every open segment at t (for ground truth).
func (s *Sim) closeSegments(t int64) {
	for id := range s.current {
		cur := &s.current[id]
		if cur.place != "" && t > cur.from {
			seg := *cur
			seg.to = t
			s.town.people[id].segs = append(s.town.people[id].segs, seg)
		}
		cur.from = t
	}
}

func (s *Sim) say(t time.Time, format string, args ...any) {
	fmt.Fprintf(s.out, "%s  %s\n", t.In(local).Format("Mon 02 Jan 15:04"), fmt.Sprintf(format, args...))
}

func (s *Sim) dayStart(d int) time.Time { return s.cfg.Start.AddDate(0, 0, d) }

// sortedIDs returns the keys of m in order.
func sortedIDs(m map[int]bool) []int {
	out := make([]int, 0, len(m))
	for id, ok := range m {
		if ok {
			out = append(out, id)
		}
	}
	sort.Ints(out)
	return out
}
