package gaen

import (
	"errors"
	"fmt"
)

// MetadataLength is the length of the plaintext metadata and of the AEM.
const MetadataLength = 4

// TX power sanity range: matches whose decrypted TX power falls outside it are rejected, as phones do.
const (
	MinTXPower = -50
	MaxTXPower = 20
)

// Calibration confidence values carried in metadata version ≥ 1.1 (bits 3:2 of the version byte).
const (
	CalibrationLowest = 0
	CalibrationLow    = 1
	CalibrationMedium = 2
	CalibrationHigh   = 3
)

// ErrUnsupportedVersion is returned (wrapped) by ParseMetadata for a major version other than 1.
var ErrUnsupportedVersion = errors.New("unsupported metadata major version")

// Metadata is the plaintext carried in the AEM: a version byte (bits 7:6 major, 5:4 minor, 3:2 TX calibration
// confidence, 1:0 reserved), the TX power in dBm, and two reserved bytes. Reserved bits are kept so that
// ParseMetadata followed by Bytes reproduces the input exactly.
type Metadata struct {
	MajorVersion          uint8 // 0–3; 1 today
	MinorVersion          uint8 // 0–3; 0 for v1.0, 1 for v1.1+
	CalibrationConfidence uint8 // 0–3, see Calibration*; 0 before v1.1
	TXPower               int8  // dBm, signed
	ReservedBits          uint8 // bits 1:0 of the version byte, 0 when sent
	Reserved              [2]byte
}

// NewMetadata returns v1.1 metadata (version byte 0x50 plus calibration confidence) for a TX power.
func NewMetadata(txPower int8, calibration uint8) Metadata {
	return Metadata{MajorVersion: 1, MinorVersion: 1, CalibrationConfidence: calibration & 3, TXPower: txPower}
}

// Bytes encodes the metadata. Fields wider than their bit field are truncated to it.
func (m Metadata) Bytes() [MetadataLength]byte {
	v := (m.MajorVersion&3)<<6 | (m.MinorVersion&3)<<4 | (m.CalibrationConfidence&3)<<2 | m.ReservedBits&3
	return [MetadataLength]byte{v, byte(m.TXPower), m.Reserved[0], m.Reserved[1]}
}

// ParseMetadata decodes 4 metadata bytes. Like phones it is lenient: reserved bits and bytes are kept, not
// rejected. Its only error is a major version other than 1 (wrapping ErrUnsupportedVersion), and even then
// the decoded fields are returned so callers may still apply the TX-power check.
func ParseMetadata(b [MetadataLength]byte) (Metadata, error) {
	m := Metadata{
		MajorVersion:          b[0] >> 6,
		MinorVersion:          (b[0] >> 4) & 3,
		CalibrationConfidence: (b[0] >> 2) & 3,
		ReservedBits:          b[0] & 3,
		TXPower:               int8(b[1]),
		Reserved:              [2]byte{b[2], b[3]},
	}
	if m.MajorVersion != 1 {
		return m, fmt.Errorf("gaen: metadata version byte %#02x: %w %d", b[0], ErrUnsupportedVersion, m.MajorVersion)
	}
	return m, nil
}

// TXPowerPlausible reports whether the TX power lies in [MinTXPower, MaxTXPower].
func (m Metadata) TXPowerPlausible() bool {
	return m.TXPower >= MinTXPower && m.TXPower <= MaxTXPower
}
