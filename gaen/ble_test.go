package gaen

import (
	"encoding/hex"
	"errors"
	"testing"
)

// vectorAdv is RPI/AEM 0 of the official vectors.
func vectorAdv(t testing.TB) Advertisement {
	return Advertisement{
		RPI: RPI(unhex(t, "8be6cd371c5c891604bfbe49df845096", 16)),
		AEM: AEM(unhex(t, "72033874", 4)),
	}
}

func TestPayloadLayout(t *testing.T) {
	adv := vectorAdv(t)
	p := adv.Payload()
	const want = "02011a" + "03036ffd" + "17166ffd" + "8be6cd371c5c891604bfbe49df845096" + "72033874"
	if got := hex.EncodeToString(p); got != want {
		t.Errorf("Payload = %s\nwant      %s", got, want)
	}
	if len(p) != MaxPayloadLength {
		t.Errorf("len = %d, want %d", len(p), MaxPayloadLength)
	}
	got, err := ParsePayload(p)
	if err != nil || got != adv {
		t.Errorf("ParsePayload(Payload()) = %+v, %v", got, err)
	}
}

func TestParsePayload(t *testing.T) {
	adv := vectorAdv(t)
	sd := "17166ffd" + "8be6cd371c5c891604bfbe49df845096" + "72033874"
	tests := []struct {
		name string
		hex  string
		err  error // nil: must parse to adv
	}{
		{"full payload", "02011a03036ffd" + sd, nil},
		{"service data only", sd, nil},
		{"other AD types around it", "0909" + hex.EncodeToString([]byte("Bluezone")) + sd + "020a08" + "05ff4c001234", nil},
		{"other service data first", "05162a18abcd" + sd, nil},
		{"zero length ends the significant part", "02011a" + sd + "00" + "ffffff", nil},
		{"trailing zero padding", sd + "0000000000", nil},
		{"empty", "", ErrNoServiceData},
		{"only padding", "000000", ErrNoServiceData},
		{"flags and UUID list but no service data", "02011a03036ffd", ErrNoServiceData},
		{"service data after the terminator is ignored", "00" + sd, ErrNoServiceData},
		{"different service UUID", "17166efd" + "8be6cd371c5c891604bfbe49df845096" + "72033874", ErrNoServiceData},
		{"length runs past the end", "02011a18166ffd" + "8be6cd371c5c891604bfbe49df845096" + "72033874", ErrMalformedPayload},
		{"lone length byte", "05", ErrMalformedPayload},
		{"service data one byte short", "16166ffd" + "8be6cd371c5c891604bfbe49df845096" + "720338", ErrServiceDataLength},
		{"service data one byte long", "18166ffd" + "8be6cd371c5c891604bfbe49df845096" + "7203387400", ErrServiceDataLength},
		{"service data with UUID only", "03166ffd", ErrServiceDataLength},
		{"service data with a 1-byte UUID", "02166f", ErrNoServiceData},
		{"service data twice", sd + sd, ErrMalformedPayload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := hex.DecodeString(tt.hex)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParsePayload(p)
			if tt.err == nil {
				if err != nil || got != adv {
					t.Fatalf("ParsePayload = %+v, %v; want %+v", got, err, adv)
				}
				return
			}
			if !errors.Is(err, tt.err) {
				t.Fatalf("ParsePayload error = %v, want %v", err, tt.err)
			}
			if got != (Advertisement{}) {
				t.Errorf("ParsePayload returned %+v with an error", got)
			}
		})
	}
}

// FuzzParsePayload checks that ParsePayload never panics, that a success always carries exactly one
// well-formed service data structure, and that a parsed advertisement survives Payload and ParsePayload.
func FuzzParsePayload(f *testing.F) {
	f.Add(vectorAdv(f).Payload())
	for _, s := range []string{"", "00", "05", "02011a", "17166ffd", "03166ffd", "02011a18166ffd00", "0909426c7565"} {
		b, _ := hex.DecodeString(s)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		adv, err := ParsePayload(p)
		if err != nil {
			if adv != (Advertisement{}) {
				t.Fatalf("error %v with a non-zero result", err)
			}
			if !errors.Is(err, ErrMalformedPayload) && !errors.Is(err, ErrNoServiceData) && !errors.Is(err, ErrServiceDataLength) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		again, err := ParsePayload(adv.Payload())
		if err != nil || again != adv {
			t.Fatalf("round trip: %+v, %v; want %+v", again, err, adv)
		}
	})
}
