package radio

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// Model is the radio propagation model of the simulated air: log-distance
// path loss with log-normal shadowing, fast fading averaged over the packets
// of a scan, and a fixed loss per wall between rooms of the same place.
// Places are separate buildings: radios in different places never hear each
// other.
//
// The mean received power at distance d is
//
//	txPower − (RefLossDb + 10·Exponent·log10(max(d, MinDistanceM)/1 m)) − walls·WallLossDb + receiver bias
//
// Defaults (DefaultModel) follow published BLE measurements of phones carried
// on the body: about 45 dB at 1 m (40 dB free-space at 2.4 GHz plus body
// and pocket loss) and an exponent of 2 indoors, so 2 m ≈ 51 dB and 8 m ≈
// 63 dB. See docs/risk-config.md for how these numbers feed the default risk
// configuration.
type Model struct {
	// RefLossDb is the path loss at 1 m, in dB.
	RefLossDb float64
	// Exponent is the path-loss exponent n.
	Exponent float64
	// MinDistanceM clamps distances below it (phones cannot be closer).
	MinDistanceM float64
	// ShadowingDb is the standard deviation, in dB, of the slow fading of
	// one pair of phones during one scan (orientation, bodies in between).
	ShadowingDb float64
	// FastFadingDb is the standard deviation, in dB, of one packet's RSSI
	// around the scan's mean.
	FastFadingDb float64
	// PacketsPerScan is how many advertisements a scan receives from one
	// advertiser (4 s scan / 250 ms interval = 16).
	PacketsPerScan int
	// WallLossDb is the extra loss between two different rooms of the same
	// place; a negative value means walls block completely.
	WallLossDb float64
	// SensitivityDbm is the weakest typical RSSI a scan still reports.
	SensitivityDbm float64
}

// DefaultModel returns the model the demo and tests use.
func DefaultModel() Model {
	return Model{
		RefLossDb:      45,
		Exponent:       2.0,
		MinDistanceM:   0.2,
		ShadowingDb:    2.5,
		FastFadingDb:   4,
		PacketsPerScan: 16,
		WallLossDb:     15,
		SensitivityDbm: -100,
	}
}

// Validate checks that the model's numbers are usable.
func (m Model) Validate() error {
	var errs []error
	if m.RefLossDb < 0 || m.RefLossDb > 100 {
		errs = append(errs, fmt.Errorf("RefLossDb %v: must be 0..100", m.RefLossDb))
	}
	if m.Exponent < 1 || m.Exponent > 6 {
		errs = append(errs, fmt.Errorf("Exponent %v: must be 1..6", m.Exponent))
	}
	if m.MinDistanceM <= 0 {
		errs = append(errs, fmt.Errorf("MinDistanceM %v: must be > 0", m.MinDistanceM))
	}
	if m.ShadowingDb < 0 || m.FastFadingDb < 0 {
		errs = append(errs, errors.New("ShadowingDb and FastFadingDb must be ≥ 0"))
	}
	if m.PacketsPerScan < 1 {
		errs = append(errs, fmt.Errorf("PacketsPerScan %d: must be ≥ 1", m.PacketsPerScan))
	}
	return errors.Join(errs...)
}

// PathLossDb returns the mean path loss at distance d metres through walls
// walls (no noise).
func (m Model) PathLossDb(d float64, walls int) float64 {
	if d < m.MinDistanceM {
		d = m.MinDistanceM
	}
	return m.RefLossDb + 10*m.Exponent*math.Log10(d) + float64(walls)*m.WallLossDb
}

// DistanceForLoss inverts PathLossDb without walls: the distance in metres at
// which the mean path loss is lossDb.
func (m Model) DistanceForLoss(lossDb float64) float64 {
	return math.Pow(10, (lossDb-m.RefLossDb)/(10*m.Exponent))
}

// sample draws one scan's typical and strongest RSSI for a link whose mean
// received power is mean dBm.
func (m Model) sample(rng *rand.Rand, mean float64) (typical, strongest float64) {
	k := float64(m.PacketsPerScan)
	typical = mean + rng.NormFloat64()*m.ShadowingDb + rng.NormFloat64()*m.FastFadingDb/math.Sqrt(k)
	// The largest of k normal packets lies about E[max] standard deviations
	// above their mean; 1.77 for k = 16 (approximated for other k).
	emax := math.Sqrt(2 * math.Log(k))
	if k <= 1 {
		emax = 0
	}
	strongest = typical + m.FastFadingDb*(emax*0.84+0.35*rng.NormFloat64())
	if strongest < typical {
		strongest = typical
	}
	return typical, strongest
}
