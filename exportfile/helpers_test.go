package exportfile

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"os"
	"testing"
	"time"
)

func newKey(tb testing.TB) *ecdsa.PrivateKey {
	tb.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func newSigner(tb testing.TB, id, version string) (Signer, *ecdsa.PrivateKey) {
	tb.Helper()
	k := newKey(tb)
	return Signer{Info: SignatureInfo{KeyID: id, KeyVersion: version}, Signer: k}, k
}

// randomKeys returns n keys with random data over 14 days of rolling
// starts, cycling through report types, optional days since onset and
// rolling periods.
func randomKeys(tb testing.TB, n int) []Key {
	tb.Helper()
	keys := make([]Key, n)
	base := int32(2_650_000 / 144 * 144)
	for i := range keys {
		k := &keys[i]
		if _, err := rand.Read(k.Data[:]); err != nil {
			tb.Fatal(err)
		}
		k.RollingStart = base + int32(i%14)*144
		k.RollingPeriod = DefaultRollingPeriod
		if i%7 == 3 {
			k.RollingPeriod = int32(1 + i%143)
		}
		k.TransmissionRisk = int32(i % 8)
		k.ReportType = ReportType(1 + i%3)
		if i%2 == 0 {
			k.HasDaysSinceOnset = true
			k.DaysSinceOnset = int32(i%29 - 14)
		}
	}
	return keys
}

func sampleExport(tb testing.TB, nkeys int) *Export {
	tb.Helper()
	return &Export{
		Start:       time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
		End:         time.Date(2026, 3, 1, 1, 0, 0, 0, time.UTC),
		Region:      "VN",
		BatchNum:    1,
		BatchSize:   1,
		Keys:        randomKeys(tb, nkeys),
		RevisedKeys: nil,
	}
}

func readTestdata(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func sampleTrusted(tb testing.TB) TrustedKeys {
	tb.Helper()
	pub, err := ParsePublicKey(readTestdata(tb, "sample_public_key.b64"))
	if err != nil {
		tb.Fatal(err)
	}
	return TrustedKeys{{ID: "310", Version: "v1"}: pub}
}

func newP384(tb testing.TB) *ecdsa.PrivateKey {
	tb.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}
