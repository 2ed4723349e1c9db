package device

import (
	"fmt"
	"sort"

	"github.com/bluezone-vn/bluezone/gaen"
)

// The key schedule. A device holds one TEK per UTC day, starting at the
// day's midnight interval with a rolling period of 144; it advertises the
// RPI of the current interval under the TEK covering it. After the user
// publishes, today's key is released early: its rolling period is cut to end
// with the current interval (so the server can export it as soon as that
// interval is over) and a fresh key covers the rest of the day, so that
// nothing advertised after the upload can be linked to the published key.

// maxPublishKeys is the key server's default MAX_KEYS_ON_PUBLISH.
const maxPublishKeys = 30

// tekForLocked returns the index in d.st.TEKs of the key valid in interval
// i, creating (and persisting) one when none is. d.mu must be held.
func (d *Device) tekForLocked(i uint32) (int, error) {
	for j := len(d.st.TEKs) - 1; j >= 0; j-- {
		k := d.st.TEKs[j]
		if k.RollingStart <= i && i < k.end() {
			return j, nil
		}
	}
	midnight := gaen.AlignRollingStart(i)
	start := midnight
	for _, k := range d.st.TEKs {
		// A key released early today ends before i: continue after it.
		if k.end() > start && k.end() <= i && k.RollingStart >= midnight {
			start = k.end()
		}
	}
	tek, err := gaen.NewTEKFrom(d.rand)
	if err != nil {
		return 0, fmt.Errorf("new TEK: %w", err)
	}
	d.st.TEKs = append(d.st.TEKs, ownTEK{Key: tek[:], RollingStart: start, RollingPeriod: midnight + gaen.TEKRollingPeriod - start})
	d.purgeTEKsLocked(i)
	if err := d.saveLocked(); err != nil {
		return 0, err
	}
	return len(d.st.TEKs) - 1, nil
}

// purgeTEKsLocked forgets own keys that ended 14 days or more before i.
func (d *Device) purgeTEKsLocked(i uint32) {
	keep := d.st.TEKs[:0]
	for _, k := range d.st.TEKs {
		if int64(k.end()) > int64(i)-gaen.RetentionIntervals {
			keep = append(keep, k)
		}
	}
	d.st.TEKs = keep
}

// payloadLocked returns the advertisement payload of interval i, cached for
// the interval.
func (d *Device) payloadLocked(i uint32) ([]byte, error) {
	if d.advPayload != nil && d.advInterval == i && d.advGen == len(d.st.TEKs) {
		return d.advPayload, nil
	}
	j, err := d.tekForLocked(i)
	if err != nil {
		return nil, err
	}
	if d.advKey == nil || string(d.advKey) != string(d.st.TEKs[j].Key) {
		var tek gaen.TEK
		copy(tek[:], d.st.TEKs[j].Key)
		d.advKey = d.st.TEKs[j].Key
		d.advRPIs = gaen.NewRPIGenerator(gaen.DeriveRPIK(tek))
		d.advAEMK = gaen.DeriveAEMK(tek)
	}
	md := gaen.NewMetadata(d.opts.TXPower, d.opts.Calibration)
	rpi := d.advRPIs.RPI(i)
	adv := gaen.Advertisement{RPI: rpi, AEM: gaen.EncryptAEM(d.advAEMK, rpi, md.Bytes())}
	d.advPayload = adv.Payload()
	d.advInterval = i
	d.advGen = len(d.st.TEKs)
	return d.advPayload, nil
}

// keysToPublishLocked returns copies of the keys a report publishes at
// interval i: every key of the last 14 days that has started, today's cut
// to end with interval i, oldest first, at most maxPublishKeys.
func (d *Device) keysToPublishLocked(i uint32) []ownTEK {
	var out []ownTEK
	for _, k := range d.st.TEKs {
		if k.RollingStart > i || int64(k.end()) <= int64(i)+1-gaen.RetentionIntervals {
			continue
		}
		if k.end() > i+1 {
			k.RollingPeriod = i + 1 - k.RollingStart
		}
		out = append(out, k)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].RollingStart < out[b].RollingStart })
	if len(out) > maxPublishKeys {
		out = out[len(out)-maxPublishKeys:]
	}
	return out
}

// releaseLocked records that keys were published at interval i: they are
// marked released, today's key is cut to end with interval i, and a fresh
// key covers the rest of the day. The state is saved.
func (d *Device) releaseLocked(published []ownTEK, i uint32) error {
	for _, p := range published {
		for j := range d.st.TEKs {
			k := &d.st.TEKs[j]
			if string(k.Key) == string(p.Key) {
				k.Released = true
				if k.end() > p.end() {
					k.RollingPeriod = p.RollingPeriod
				}
			}
		}
	}
	midnight := gaen.AlignRollingStart(i)
	if next := i + 1; next < midnight+gaen.TEKRollingPeriod {
		if _, err := d.tekForLocked(next); err != nil {
			return err
		}
	}
	d.advPayload = nil
	return d.saveLocked()
}

// Tick advances the key schedule to now: it makes sure a key covers the
// current interval (a new one after UTC midnight) and forgets keys older
// than 14 days. The radio drives the schedule while advertising; an app
// whose Bluetooth is off calls Tick from its background job so its keys
// still exist for a later report.
func (d *Device) Tick() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, err := d.tekForLocked(gaen.IntervalNumber(d.clock.Now()))
	return err
}
