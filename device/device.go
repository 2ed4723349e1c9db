package device

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/bluezone-vn/bluezone/gaen"
	"github.com/bluezone-vn/bluezone/internal/clock"
	"github.com/bluezone-vn/bluezone/radio"
)

// Config is what a device remembers about its setup. It is stored (sealed)
// in the device directory.
type Config struct {
	// ServerURL is the base URL of the Bluezone server (verification, key
	// server, exports and check-ins behind one origin), e.g.
	// "https://bluezone.example.vn".
	ServerURL string `json:"serverURL"`
	// APIKey is the app's device API key for the verification server
	// (header X-API-Key on /api/verify and /api/certificate).
	APIKey string `json:"apiKey,omitempty"`
	// HealthAuthorityID is the authorized app id sent on publish.
	HealthAuthorityID string `json:"healthAuthorityID"`
	// Province and District are the GSO codes the user chose at install,
	// sent with the daily check-in (District may be empty).
	Province string `json:"province,omitempty"`
	District string `json:"district,omitempty"`
	// Platform ("android", "ios", "other") and AppVersion go with the
	// check-in.
	Platform   string `json:"platform"`
	AppVersion string `json:"appVersion"`
	// TXPower is the calibrated transmit power advertised in the metadata,
	// dBm; RSSIOffset corrects this phone's received signal strength;
	// Calibration is the confidence (gaen.Calibration*) in both.
	TXPower     int `json:"txPower"`
	RSSIOffset  int `json:"rssiOffset"`
	Calibration int `json:"calibration"`
	// ChaffMeanHours, when > 0, makes the device send a chaff publish at
	// random times, on average this many hours apart.
	ChaffMeanHours float64 `json:"chaffMeanHours,omitempty"`
}

// DefaultConfig returns a configuration for serverURL with the defaults of
// the Vietnamese app.
func DefaultConfig(serverURL string) *Config {
	return &Config{
		ServerURL:         serverURL,
		HealthAuthorityID: "vn.bluezone",
		Platform:          "other",
		AppVersion:        "1.0.0",
		TXPower:           -15,
		Calibration:       gaen.CalibrationMedium,
	}
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	var errs []error
	u, err := url.Parse(c.ServerURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("server URL %q: want http(s)://host[:port]", c.ServerURL))
	}
	if c.HealthAuthorityID == "" {
		errs = append(errs, errors.New("health authority (app) id is empty"))
	}
	if c.TXPower < gaen.MinTXPower || c.TXPower > gaen.MaxTXPower {
		errs = append(errs, fmt.Errorf("TX power %d dBm: must be %d..%d", c.TXPower, gaen.MinTXPower, gaen.MaxTXPower))
	}
	if c.Calibration < 0 || c.Calibration > 3 {
		errs = append(errs, fmt.Errorf("calibration %d: must be 0..3", c.Calibration))
	}
	if c.ChaffMeanHours < 0 {
		errs = append(errs, errors.New("chaff mean hours must be ≥ 0"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("device config: %w", errors.Join(errs...))
	}
	return nil
}

// Options are the per-process dependencies of a device; none is stored.
// Zero values select production defaults.
type Options struct {
	// Clock tells time (default: the wall clock). Fields that gomobile
	// cannot bind are simply unavailable from Java/Swift.
	Clock clock.Clock
	// HTTPClient talks to the server (default: 30 s timeout).
	HTTPClient *http.Client
	// Rand is the source of keys, tokens and nonces (default crypto/rand).
	Rand io.Reader
	// DeviceKey is the 32-byte key that encrypts the device's files. On a
	// phone it comes from the platform key store; when nil, the key is
	// kept in the file device.key of the directory (created by Create).
	DeviceKey []byte
	// FlushEverySeconds bounds how long heard sightings wait in memory
	// before being sealed to disk (default 900).
	FlushEverySeconds int
	// NoSync skips fsync when saving state: for simulations of many
	// devices, where a crash may lose the last writes.
	NoSync bool
}

// TrustedKey is a public key the device accepts export signatures from,
// selected by the signature's key id and version.
type TrustedKey struct {
	KeyID        string `json:"keyId"`
	KeyVersion   string `json:"keyVersion"`
	PublicKeyPEM string `json:"publicKeyPEM"`
}

// Device is the agent of one phone, working on one device directory. It is
// safe for concurrent use.
type Device struct {
	dir   string
	clock clock.Clock
	rand  io.Reader
	http  *http.Client
	seal  *sealer
	flush int64
	sync  bool

	mu          sync.Mutex
	st          *state
	log         *sightingLog
	risk        *RiskConfig
	opts        resolved
	lastScan    int64 // unix seconds of the last ScanDone, 0 if none yet
	oldestWait  int64 // time of the oldest unflushed sighting
	advPayload  []byte
	advInterval uint32
	advGen      int
	advKey      []byte // the TEK advRPIs and advAEMK derive from
	advRPIs     *gaen.RPIGenerator
	advAEMK     [gaen.KeyLength]byte
	radio       radio.Radio
	lastErr     error
}

// resolved are the radio calibration values in the types gaen wants.
type resolved struct {
	TXPower     int8
	Calibration uint8
}

var (
	_ radio.Advertiser = (*Device)(nil)
	_ radio.Receiver   = (*Device)(nil)
)

// Create makes a new device directory dir (it must not hold a device yet)
// with cfg, a random install token and, unless opts.DeviceKey is set, a new
// device key.
func Create(dir string, cfg *Config, opts *Options) (*Device, error) {
	if cfg == nil {
		return nil, errors.New("device: nil config")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create device: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, stateFile)); err == nil {
		return nil, fmt.Errorf("create device: %s already holds a device", dir)
	}
	d, err := newDevice(dir, opts, true)
	if err != nil {
		return nil, err
	}
	tok, err := randomBytes(d.rand, 24)
	if err != nil {
		return nil, fmt.Errorf("create device: install token: %w", err)
	}
	d.st = &state{Version: 1, Config: *cfg, InstallToken: b64url(tok)}
	d.setup()
	if err := d.saveLocked(); err != nil {
		return nil, err
	}
	return d, nil
}

// Open opens an existing device directory.
func Open(dir string, opts *Options) (*Device, error) {
	if _, err := os.Stat(filepath.Join(dir, stateFile)); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s is not a device directory: run init first", dir)
	}
	d, err := newDevice(dir, opts, false)
	if err != nil {
		return nil, err
	}
	st, err := loadState(dir, d.seal)
	if err != nil {
		return nil, err
	}
	d.st = st
	d.setup()
	return d, nil
}

func newDevice(dir string, opts *Options, create bool) (*Device, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	d := &Device{dir: dir, clock: o.Clock, rand: o.Rand, http: o.HTTPClient, flush: int64(o.FlushEverySeconds), sync: !o.NoSync}
	if d.clock == nil {
		d.clock = clock.Real{}
	}
	if d.rand == nil {
		d.rand = rand.Reader
	}
	if d.http == nil {
		d.http = &http.Client{Timeout: 30 * time.Second}
	}
	if d.flush <= 0 {
		d.flush = 900
	}
	key := o.DeviceKey
	if key == nil {
		var err error
		if key, err = loadOrCreateDeviceKey(dir, create, d.rand, d.sync); err != nil {
			return nil, err
		}
	}
	s, err := newSealer(key, d.rand)
	if err != nil {
		return nil, err
	}
	d.seal = s
	d.log = &sightingLog{dir: filepath.Join(dir, sightingsDir), seal: s}
	return d, nil
}

func (d *Device) setup() {
	d.opts = resolved{TXPower: int8(d.st.Config.TXPower), Calibration: uint8(d.st.Config.Calibration)}
	d.risk = d.st.Risk
	if d.risk == nil {
		d.risk = DefaultRiskConfig()
	}
}

func (d *Device) saveLocked() error { return saveState(d.dir, d.seal, d.st, d.sync) }

// Dir returns the device directory.
func (d *Device) Dir() string { return d.dir }

// Close stops the radio (if started) and writes pending sightings.
func (d *Device) Close() error {
	d.Stop()
	d.mu.Lock()
	defer d.mu.Unlock()
	return errors.Join(d.log.flush(), d.log.close())
}

// Flush writes pending sightings to disk now.
func (d *Device) Flush() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.log.flush()
}

// Start makes the device advertise and scan through r. Start on a started
// device switches to r.
func (d *Device) Start(r radio.Radio) error {
	if r == nil {
		return errors.New("device: nil radio")
	}
	d.Stop()
	if err := r.Advertise(d); err != nil {
		return fmt.Errorf("start advertising: %w", err)
	}
	if err := r.StartScanning(d); err != nil {
		r.StopAdvertising()
		return fmt.Errorf("start scanning: %w", err)
	}
	d.mu.Lock()
	d.radio = r
	d.mu.Unlock()
	return nil
}

// Stop stops advertising and scanning (the app is switched off).
func (d *Device) Stop() {
	d.mu.Lock()
	r := d.radio
	d.radio = nil
	d.mu.Unlock()
	if r != nil {
		r.StopAdvertising()
		r.StopScanning()
	}
}

// AdvertisementPayload implements radio.Advertiser: the 31-byte payload of
// the current interval (nil if the key schedule failed; see Status). The
// caller must not modify it.
func (d *Device) AdvertisementPayload() []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	p, err := d.payloadLocked(gaen.IntervalNumber(d.clock.Now()))
	if err != nil {
		d.lastErr = err
		return nil
	}
	return p
}

// Heard implements radio.Receiver: it logs one advertisement heard in the
// current scan. Payloads that are not Exposure Notification advertisements
// are ignored.
func (d *Device) Heard(payload []byte, rssi, maxRSSI int) {
	adv, err := gaen.ParsePayload(payload)
	if err != nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.clock.Now().Unix()
	var gap uint16
	if d.lastScan > 0 && now > d.lastScan {
		gap = uint16(min(now-d.lastScan, 3600))
	}
	if len(d.log.pending) == 0 {
		d.oldestWait = now
	}
	d.log.add(sighting{RPI: adv.RPI, AEM: adv.AEM, Time: now, RSSI: clampInt8(rssi), MaxRSSI: clampInt8(max(rssi, maxRSSI)), Gap: gap})
}

// ScanDone implements radio.Receiver.
func (d *Device) ScanDone(int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.clock.Now().Unix()
	d.lastScan = now
	d.log.endScan()
	if len(d.log.pending) > 0 && (now-d.oldestWait >= d.flush || len(d.log.pending) >= 4096) {
		if err := d.log.flush(); err != nil {
			d.lastErr = err
		}
	}
}

func clampInt8(v int) int8 { return int8(max(-128, min(127, v))) }

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
