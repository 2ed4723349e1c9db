package gaen

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"
	"time"
)

// vectors is testdata/gaen-test-vectors.json: the official v1.2 test vectors (see testdata/README.md).
type vectors struct {
	Source        string `json:"source"`
	KeyGeneration int64  `json:"key_generation_unix_seconds"`
	FirstInterval uint32 `json:"first_interval_number"`
	TEK           string `json:"tek"`
	RPIK          string `json:"rpik"`
	AEMK          string `json:"aemk"`
	Metadata      string `json:"metadata"`
	RPIs          []struct {
		Interval uint32 `json:"interval_number"`
		RPI      string `json:"rpi"`
		AEM      string `json:"aem"`
	} `json:"rpis"`
}

func loadVectors(t testing.TB) vectors {
	t.Helper()
	b, err := os.ReadFile("testdata/gaen-test-vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.RPIs) != TEKRollingPeriod {
		t.Fatalf("vector file has %d RPIs, want %d", len(v.RPIs), TEKRollingPeriod)
	}
	return v
}

func unhex(t testing.TB, s string, n int) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != n {
		t.Fatalf("bad hex %q (want %d bytes): %v", s, n, err)
	}
	return b
}

func TestOfficialVectors(t *testing.T) {
	v := loadVectors(t)
	tek := TEK(unhex(t, v.TEK, 16))
	md := [4]byte(unhex(t, v.Metadata, 4))

	if got := IntervalNumber(time.Unix(v.KeyGeneration, 0)); got != v.FirstInterval {
		t.Errorf("IntervalNumber(key generation) = %d, want %d", got, v.FirstInterval)
	}
	if got := RollingStart(time.Unix(v.KeyGeneration, 0)); got != v.FirstInterval {
		t.Errorf("RollingStart(key generation) = %d, want %d", got, v.FirstInterval)
	}
	rpik, aemk := DeriveRPIK(tek), DeriveAEMK(tek)
	if got := hex.EncodeToString(rpik[:]); got != v.RPIK {
		t.Errorf("RPIK = %s, want %s", got, v.RPIK)
	}
	if got := hex.EncodeToString(aemk[:]); got != v.AEMK {
		t.Errorf("AEMK = %s, want %s", got, v.AEMK)
	}
	// The fast deriver used by the matcher must agree with crypto/hkdf.
	d := newDeriver()
	d.setTEK(&tek)
	if got := d.expand(infoRPIK); got != rpik {
		t.Errorf("fast RPIK = %x, want %x", got, rpik)
	}
	if got := d.expand(infoAEMK); got != aemk {
		t.Errorf("fast AEMK = %x, want %x", got, aemk)
	}

	gen := NewRPIGenerator(rpik)
	batch := gen.RPIs(v.FirstInterval, make([]RPI, TEKRollingPeriod))
	parsed, err := ParseMetadata(md)
	if err != nil {
		t.Fatalf("ParseMetadata(%x): %v", md, err)
	}
	if parsed.MajorVersion != 1 || parsed.MinorVersion != 0 || parsed.TXPower != 8 {
		t.Errorf("metadata = %+v, want v1.0 with TX power 8", parsed)
	}
	for i, want := range v.RPIs {
		if want.Interval != v.FirstInterval+uint32(i) {
			t.Fatalf("vector %d has interval %d, want %d", i, want.Interval, v.FirstInterval+uint32(i))
		}
		rpi := gen.RPI(want.Interval)
		if got := rpi.String(); got != want.RPI {
			t.Errorf("RPI[%d] = %s, want %s", i, got, want.RPI)
		}
		if batch[i] != rpi {
			t.Errorf("RPIs()[%d] = %s, want %s", i, batch[i], rpi)
		}
		if got := DeriveRPI(tek, want.Interval); got != rpi {
			t.Errorf("DeriveRPI(%d) = %s, want %s", want.Interval, got, rpi)
		}
		aem := EncryptAEM(aemk, rpi, md)
		if got := aem.String(); got != want.AEM {
			t.Errorf("AEM[%d] = %s, want %s", i, got, want.AEM)
		}
		if got := DecryptAEM(aemk, RPI(unhex(t, want.RPI, 16)), AEM(unhex(t, want.AEM, 4))); got != md {
			t.Errorf("DecryptAEM[%d] = %x, want %x", i, got, md)
		}
		adv := Advertise(tek, want.Interval, parsed)
		if adv.RPI.String() != want.RPI || adv.AEM.String() != want.AEM {
			t.Errorf("Advertise(%d) = %s/%s, want %s/%s", want.Interval, adv.RPI, adv.AEM, want.RPI, want.AEM)
		}
	}
}
