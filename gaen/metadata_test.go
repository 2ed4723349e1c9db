package gaen

import (
	"errors"
	"testing"
)

func TestMetadata(t *testing.T) {
	tests := []struct {
		name  string
		in    [4]byte
		want  Metadata
		err   error
		plaus bool
	}{
		{"v1.0 +8 dBm (test vectors)", [4]byte{0x40, 0x08, 0, 0}, Metadata{MajorVersion: 1, TXPower: 8}, nil, true},
		{"v1.1 high confidence -15 dBm", [4]byte{0x5C, 0xF1, 0, 0}, Metadata{MajorVersion: 1, MinorVersion: 1, CalibrationConfidence: 3, TXPower: -15}, nil, true},
		{"reserved bits and bytes kept", [4]byte{0x43, 0x00, 0xAB, 0xCD}, Metadata{MajorVersion: 1, ReservedBits: 3, Reserved: [2]byte{0xAB, 0xCD}}, nil, true},
		{"lower TX bound", [4]byte{0x40, 0xCE, 0, 0}, Metadata{MajorVersion: 1, TXPower: -50}, nil, true},
		{"below lower TX bound", [4]byte{0x40, 0xCD, 0, 0}, Metadata{MajorVersion: 1, TXPower: -51}, nil, false},
		{"upper TX bound", [4]byte{0x40, 20, 0, 0}, Metadata{MajorVersion: 1, TXPower: 20}, nil, true},
		{"above upper TX bound", [4]byte{0x40, 21, 0, 0}, Metadata{MajorVersion: 1, TXPower: 21}, nil, false},
		{"version 0", [4]byte{0x00, 0x08, 0, 0}, Metadata{TXPower: 8}, ErrUnsupportedVersion, true},
		{"version 2", [4]byte{0x80, 0x08, 0, 0}, Metadata{MajorVersion: 2, TXPower: 8}, ErrUnsupportedVersion, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseMetadata(tt.in)
			if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Fatalf("ParseMetadata error = %v, want %v", err, tt.err)
			}
			if got != tt.want {
				t.Errorf("ParseMetadata = %+v, want %+v", got, tt.want)
			}
			if got.Bytes() != tt.in {
				t.Errorf("Bytes() = %x, want %x", got.Bytes(), tt.in)
			}
			if got.TXPowerPlausible() != tt.plaus {
				t.Errorf("TXPowerPlausible = %v, want %v", got.TXPowerPlausible(), tt.plaus)
			}
		})
	}
	// Every version byte and TX power round-trips exactly.
	for v := range 256 {
		for p := range 256 {
			in := [4]byte{byte(v), byte(p), byte(v ^ p), byte(p)}
			m, _ := ParseMetadata(in)
			if m.Bytes() != in {
				t.Fatalf("%x round-trips to %x", in, m.Bytes())
			}
		}
	}
	if got := NewMetadata(-15, CalibrationHigh).Bytes(); got != [4]byte{0x5C, 0xF1, 0, 0} {
		t.Errorf("NewMetadata(-15, high) = %x", got)
	}
}
