package device

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bluezone-vn/bluezone/exportfile"
	"github.com/bluezone-vn/bluezone/gaen"
	"github.com/bluezone-vn/bluezone/internal/clock"
)

// vectors are the official test vectors (testdata/README.md).
type vectors struct {
	TEK      gaen.TEK
	First    uint32
	Metadata [4]byte
	RPIs     []gaen.RPI
	AEMs     []gaen.AEM
}

func loadVectors(t testing.TB) vectors {
	t.Helper()
	data, err := os.ReadFile("testdata/gaen-test-vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		TEK      string `json:"tek"`
		First    uint32 `json:"first_interval_number"`
		Metadata string `json:"metadata"`
		RPIs     []struct {
			RPI string `json:"rpi"`
			AEM string `json:"aem"`
		} `json:"rpis"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	v := vectors{First: raw.First}
	hexTo := func(s string, dst []byte) {
		b, err := hex.DecodeString(s)
		if err != nil || len(b) != len(dst) {
			t.Fatalf("bad hex %q", s)
		}
		copy(dst, b)
	}
	hexTo(raw.TEK, v.TEK[:])
	hexTo(raw.Metadata, v.Metadata[:])
	for _, r := range raw.RPIs {
		var rpi gaen.RPI
		var aem gaen.AEM
		hexTo(r.RPI, rpi[:])
		hexTo(r.AEM, aem[:])
		v.RPIs = append(v.RPIs, rpi)
		v.AEMs = append(v.AEMs, aem)
	}
	return v
}

// testDevice creates a device in a temporary directory.
func testDevice(t testing.TB, clk clock.Clock, serverURL string) *Device {
	t.Helper()
	cfg := DefaultConfig(serverURL)
	d, err := Create(t.TempDir(), cfg, &Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// exportServer serves export files the way the key server does, from
// memory.
type exportServer struct {
	*httptest.Server
	mu    sync.Mutex
	files map[string][]byte
	order []string
	keys  []TrustedKey
	gets  int
}

func newExportServer(t testing.TB) *exportServer {
	t.Helper()
	es := &exportServer{files: map[string][]byte{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /exports/index.txt", func(w http.ResponseWriter, r *http.Request) {
		es.mu.Lock()
		defer es.mu.Unlock()
		if len(es.order) == 0 {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(strings.Join(es.order, "\n") + "\n"))
	})
	mux.HandleFunc("GET /exports/keys.json", func(w http.ResponseWriter, r *http.Request) {
		es.mu.Lock()
		defer es.mu.Unlock()
		json.NewEncoder(w).Encode(es.keys)
	})
	mux.HandleFunc("GET /exports/{file}", func(w http.ResponseWriter, r *http.Request) {
		es.mu.Lock()
		defer es.mu.Unlock()
		es.gets++
		data, ok := es.files[r.PathValue("file")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(data)
	})
	es.Server = httptest.NewServer(mux)
	t.Cleanup(es.Close)
	return es
}

// add lists a file in the index.
func (es *exportServer) add(name string, zip []byte) {
	es.mu.Lock()
	defer es.mu.Unlock()
	es.files[name] = zip
	es.order = append(es.order, name)
}

// signer is a fresh export signing key.
type signer struct {
	exportfile.Signer
	pem string
}

func newSigner(t testing.TB, id, version string) signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pem, err := exportfile.MarshalPublicKeyPEM(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return signer{exportfile.Signer{Info: exportfile.SignatureInfo{KeyID: id, KeyVersion: version}, Signer: k}, string(pem)}
}

func (s signer) trusted() TrustedKey {
	return TrustedKey{KeyID: s.Info.KeyID, KeyVersion: s.Info.KeyVersion, PublicKeyPEM: s.pem}
}

var fileSeq int

// buildExport returns an export zip of keys signed by s, and its name.
func buildExport(t testing.TB, keys []exportfile.Key, revised []exportfile.Key, s signer) (string, []byte) {
	t.Helper()
	sort.Slice(keys, func(a, b int) bool { return string(keys[a].Data[:]) < string(keys[b].Data[:]) })
	fileSeq++
	start := time.Unix(1585800000+int64(fileSeq)*3600, 0).UTC()
	e := &exportfile.Export{Start: start, End: start.Add(time.Hour), Region: "VN", BatchNum: 1, BatchSize: 1, Keys: keys, RevisedKeys: revised}
	zip, err := exportfile.Build(e, s.Signer)
	if err != nil {
		t.Fatal(err)
	}
	return exportfile.FileName("", e.Start, e.End, 1), zip
}

// hear makes d hear rpi/aem at time at with typical RSSI rssi, as one scan
// of a radio would, stepping clk.
func hear(d *Device, clk *clock.Fake, at time.Time, rpi gaen.RPI, aem gaen.AEM, rssi int) {
	clk.Set(at)
	d.Heard(gaen.Advertisement{RPI: rpi, AEM: aem}.Payload(), rssi, rssi+5)
	d.ScanDone(1)
}
