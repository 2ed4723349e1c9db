package sim

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bluezone-vn/bluezone/device"
	"github.com/bluezone-vn/bluezone/internal/clock"
)

// recordingTransport keeps the install tokens the phones send, to prove the
// server does not store them.
type recordingTransport struct {
	mu     sync.Mutex
	tokens map[string]bool
}

func (rt *recordingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/v1/installs/checkin") && r.Body != nil {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		var c struct{ Token string }
		if json.Unmarshal(body, &c) == nil && c.Token != "" {
			rt.mu.Lock()
			rt.tokens[c.Token] = true
			rt.mu.Unlock()
		}
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestEndToEnd runs a small town against the real server over loopback
// HTTP and checks every phone's warning against the ground truth.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end scenario")
	}
	ctx := context.Background()
	start := time.Date(2020, 7, 20, 0, 0, 0, 0, local)
	clk := clock.NewFake(start)
	srv := newAppServer(t, clk)
	rt := &recordingTransport{tokens: map[string]bool{}}
	s, err := New(ctx, Config{
		People: 80, Days: 4, CaseDay: 2, Seed: 7, Start: start, AppOff: 0.1,
		Dir: t.TempDir(), Clock: clk, Witnesses: true, RecordRPIs: true,
		HTTPClient: &http.Client{Transport: rt, Timeout: 30 * time.Second},
	}, srv)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	res, err := s.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("summary:\n%s", res.Summary())

	var f1, f2 int
	for _, o := range res.Outcomes {
		p := o.Person
		switch {
		case o.Truth == "F0":
			continue
		case !p.AppOn:
			if o.Warned != "" {
				t.Errorf("%s has the app off but was warned %s", p.Name, o.Warned)
			}
		case o.Truth == "F1" || o.Truth == "F2":
			if o.Warned != o.Truth {
				t.Errorf("%s: close contact (%s, %d min ≤ 2 m) warned %q", p.Name, o.Truth, o.CloseMinutes, o.Warned)
			}
		default:
			if o.Warned != "" {
				t.Errorf("%s: no close contact (%q, %d min ≤ 2 m) but warned %s", p.Name, o.Truth, o.CloseMinutes, o.Warned)
			}
		}
		if o.Warned == "F1" {
			f1++
		}
		if o.Warned == "F2" {
			f2++
		}
	}
	if f1 == 0 || f2 == 0 || res.F1 < 0 {
		t.Fatalf("scenario too small: %d F1, %d F2", f1, f2)
	}

	// The scripted witnesses: a 2-minute pass-by at 1 m and 40 minutes at 8 m
	// are not warned; the neighbour with the app off is never heard.
	passer, reader, off := s.Witnesses()
	for _, id := range []int{passer, reader} {
		if o := res.Outcomes[id]; o.Warned == "F1" {
			t.Errorf("witness %s warned F1", o.Person.Name)
		}
	}
	if o := res.Outcomes[passer]; o.Truth != "near" && o.Truth != "F2" {
		t.Errorf("passer-by ground truth %q, want near", o.Truth)
	}
	if o := res.Outcomes[off]; o.Truth != "F1" || o.Warned != "" {
		t.Errorf("app-off neighbour: truth %q warned %q, want F1 and none", o.Truth, o.Warned)
	}
	// The neighbour's phone had keys all along; published now, they match
	// nobody: its identifiers were never broadcast, so never logged.
	before := windowCounts(s)
	code, err := srv.IssueCode(ctx, "confirmed", clk.Now().AddDate(0, 0, -1))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Device(off).Report(ctx, code, true); err != nil {
		t.Fatal(err)
	}
	if err := s.exportAndSync(ctx, "the app-off phone's keys"); err != nil {
		t.Fatal(err)
	}
	if after := windowCounts(s); !equalCounts(before, after) {
		t.Error("keys of a phone whose app was off matched someone's sightings")
	}

	// The server stores no identifier, sighting or install token.
	dump := dumpDB(t, srv)
	rpis := s.Broadcast()
	if len(rpis) < 1000 {
		t.Fatalf("only %d identifiers recorded", len(rpis))
	}
	for _, r := range rpis {
		for _, enc := range [][]byte{r[:], []byte(hex.EncodeToString(r[:])), []byte(base64.StdEncoding.EncodeToString(r[:])), []byte(base64.RawURLEncoding.EncodeToString(r[:]))} {
			if bytes.Contains(dump, enc) {
				t.Fatalf("server database holds identifier %x", r)
			}
		}
	}
	if len(rt.tokens) == 0 {
		t.Fatal("no check-in was sent")
	}
	for tok := range rt.tokens {
		if bytes.Contains(dump, []byte(tok)) {
			t.Fatal("server database holds an install token in clear")
		}
	}
	for _, p := range s.People() {
		if bytes.Contains(dump, []byte(p.Name)) || bytes.Contains(dump, []byte("phone-")) {
			t.Fatalf("server database holds a device name (%s)", p.Name)
		}
	}
}

func windowCounts(s *Sim) []int {
	var out []int
	for id := range s.People() {
		out = append(out, s.Device(id).ExposureWindows().Len())
	}
	return out
}

func equalCounts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

var _ = device.KindF1
