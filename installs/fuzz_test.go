package installs

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/bluezone-vn/bluezone/internal/clock"
	"github.com/bluezone-vn/bluezone/store/storetest"
	"github.com/bluezone-vn/bluezone/vnadmin"
)

func FuzzParseCheckin(f *testing.F) {
	f.Add([]byte(`{"token":"` + token(1) + `","province":"67","district":"660","platform":"ios","appVersion":"4.0"}`))
	f.Add([]byte(`{"token":"","province":"","platform":"","appVersion":""}`))
	f.Add([]byte(`{"token":"x"}{}`))
	f.Add([]byte(`[]`))
	admin := vnadmin.MustLoad()
	f.Fuzz(func(t *testing.T, body []byte) {
		req, raw, err := ParseCheckin(body, admin)
		if err != nil {
			var ce *checkinError
			if !errors.As(err, &ce) || ce.Code == "" || ce.Status < 400 || ce.Status > 499 {
				t.Fatalf("error without a 4xx code: %v", err)
			}
			return
		}
		if len(raw) < 16 || len(raw) > 64 || admin.ValidPair(req.Province, req.District) != nil || !validVersion(req.AppVersion) {
			t.Fatalf("accepted an invalid check-in: %+v", req)
		}
	})
}

func fuzzServer(f *testing.F) *Server {
	db := storetest.SQLite(f)
	s, err := New(DefaultConfig(), Deps{DB: db, Clock: clock.NewFake(testDay0), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Admin: vnadmin.MustLoad(), Secret: bytes.Repeat([]byte{1}, 32)})
	if err != nil {
		f.Fatal(err)
	}
	return s
}

func FuzzParseOfficialCSV(f *testing.F) {
	f.Add(OfficialCSVHeader+"\n2020-08-13,67,,57511\n2020-08-13,67,660,13404\n", "VN")
	f.Add(OfficialCSVHeader+"\n2020-08-13,67,,-1\n", "67")
	f.Add("\ufeff"+OfficialCSVHeader+"\r\n\"2020-08-13\",67,660,1\r\n", "01")
	s := fuzzServer(f)
	f.Fuzz(func(t *testing.T, body, realm string) {
		figs, err := s.ParseOfficialCSV(strings.NewReader(body), realm)
		if err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrForbidden) {
				t.Fatalf("error is neither invalid nor forbidden: %v", err)
			}
			if figs != nil {
				t.Fatal("figures returned with an error")
			}
			return
		}
		for _, fg := range figs {
			d, err := ParseDay(fg.Date)
			if err != nil || d > DayOf(testDay0) || fg.Installs < 0 || s.admin.ValidPair(fg.Province, fg.District) != nil ||
				(realm != National && realm != fg.Province) {
				t.Fatalf("accepted %+v in realm %q", fg, realm)
			}
		}
	})
}

func FuzzParseDenominatorsCSV(f *testing.F) {
	f.Add(DenominatorsCSVHeader+"\n67,,652052,,\n67,660,63046,44000,30000\n", "VN")
	f.Add(DenominatorsCSVHeader+"\n67,,x,,\n", "67")
	s := fuzzServer(f)
	f.Fuzz(func(t *testing.T, body, realm string) {
		rows, err := s.ParseDenominatorsCSV(strings.NewReader(body), realm)
		if err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrForbidden) {
				t.Fatalf("error is neither invalid nor forbidden: %v", err)
			}
			return
		}
		for _, r := range rows {
			if r.Population < 0 || r.Adults < 0 || r.Smartphones < 0 || s.admin.ValidPair(r.Province, r.District) != nil ||
				(realm != National && realm != r.Province) {
				t.Fatalf("accepted %+v in realm %q", r, realm)
			}
		}
	})
}
