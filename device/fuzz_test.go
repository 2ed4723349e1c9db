package device

import (
	"testing"
	"time"

	"github.com/bluezone-vn/bluezone/gaen"
	"github.com/bluezone-vn/bluezone/internal/clock"
)

func FuzzParseRiskConfig(f *testing.F) {
	f.Add([]byte(DefaultRiskConfig().JSON()))
	f.Add([]byte(`{"attenuationThresholdsDb":[40,50,60]}`))
	f.Add([]byte(`{"infectiousnessByDaysSinceOnset":{"-1":"high"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseRiskConfig(data)
		if err != nil {
			return
		}
		// Whatever parses is valid and round-trips.
		if err := c.Validate(); err != nil {
			t.Fatalf("parsed config does not validate: %v", err)
		}
		if _, err := ParseRiskConfig([]byte(c.JSON())); err != nil {
			t.Fatalf("round trip: %v", err)
		}
	})
}

// FuzzHeard feeds arbitrary radio payloads: the device must not panic and
// must log only well-formed Exposure Notification advertisements.
func FuzzHeard(f *testing.F) {
	var rpi gaen.RPI
	f.Add(gaen.Advertisement{RPI: rpi}.Payload(), -60, -50)
	f.Add([]byte{2, 1, 0x1a}, 0, 0)
	f.Add([]byte{}, -200, 300)
	clk := clock.NewFake(time.Date(2020, 6, 1, 8, 0, 0, 0, time.UTC))
	d := testDevice(f, clk, "http://127.0.0.1:1")
	f.Fuzz(func(t *testing.T, payload []byte, rssi, maxRSSI int) {
		before := len(d.log.pending)
		d.Heard(payload, rssi, maxRSSI)
		_, err := gaen.ParsePayload(payload)
		if grew := len(d.log.pending) > before; grew != (err == nil) {
			t.Fatalf("payload %x: logged=%v, parse error %v", payload, grew, err)
		}
		d.ScanDone(1)
		clk.Advance(time.Second)
		if len(d.log.pending) > 1000 {
			d.log.pending = d.log.pending[:0]
			d.log.scanStart = 0
		}
	})
}
