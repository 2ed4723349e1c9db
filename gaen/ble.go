package gaen

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// BLE advertisement constants (Exposure Notification Bluetooth Specification v1.2).
const (
	// ServiceUUID is the 16-bit Exposure Notification service UUID, advertised both in the UUID list and as
	// the service-data UUID.
	ServiceUUID uint16 = 0xFD6F
	// MaxPayloadLength is the size of a legacy advertising payload.
	MaxPayloadLength = 31

	adTypeFlags         = 0x01
	adTypeComplete16    = 0x03
	adTypeServiceData16 = 0x16
	// flagsValue is the Flags byte the specification and phones send: 0x1A = LE General Discoverable (bit 1) |
	// Simultaneous LE and BR/EDR, Controller (bit 3) and Host (bit 4). Note it does not set "BR/EDR not
	// supported" (bit 2); ParsePayload accepts any flags.
	flagsValue              = 0x1A
	serviceDataPayloadBytes = KeyLength + MetadataLength
)

// Errors returned (wrapped, with details) by ParsePayload.
var (
	ErrMalformedPayload  = errors.New("malformed advertisement payload")
	ErrNoServiceData     = errors.New("no Exposure Notification service data (UUID 0xFD6F)")
	ErrServiceDataLength = errors.New("Exposure Notification service data has the wrong length")
)

// Advertisement is what one Exposure Notification broadcast carries: an RPI and its AEM.
type Advertisement struct {
	RPI RPI
	AEM AEM
}

// Payload returns the 31-byte advertising payload: Flags (0x1A), Complete List of 16-bit Service UUIDs
// (0xFD6F), and Service Data for 0xFD6F holding RPI ‖ AEM. Multi-byte UUIDs are little-endian, as in all BLE
// AD structures.
func (a Advertisement) Payload() []byte {
	p := make([]byte, 0, MaxPayloadLength)
	p = append(p, 2, adTypeFlags, flagsValue)
	p = append(p, 3, adTypeComplete16)
	p = binary.LittleEndian.AppendUint16(p, ServiceUUID)
	p = append(p, 1+2+serviceDataPayloadBytes, adTypeServiceData16)
	p = binary.LittleEndian.AppendUint16(p, ServiceUUID)
	p = append(p, a.RPI[:]...)
	p = append(p, a.AEM[:]...)
	return p
}

// ParsePayload extracts the RPI and AEM from an advertising payload (or a scan record holding advertising and
// scan-response data). It walks the AD structures, ignores unrelated types (flags and the UUID list are not
// required, since scanners may strip or move them), and stops at a zero length octet, which marks the end of
// the significant part. It rejects an AD structure running past the end of the data, a missing or repeated
// 0xFD6F service data, and service data that is not exactly 16 + 4 bytes. It never panics.
func ParsePayload(p []byte) (Advertisement, error) {
	var (
		adv   Advertisement
		found bool
	)
	for off := 0; off < len(p); {
		n := int(p[off])
		if n == 0 {
			break // end of significant data; the rest is padding
		}
		if off+1+n > len(p) {
			return Advertisement{}, fmt.Errorf("gaen: %w: AD structure at offset %d has length %d but only %d bytes follow",
				ErrMalformedPayload, off, n, len(p)-off-1)
		}
		typ, data := p[off+1], p[off+2:off+1+n]
		off += 1 + n
		if typ != adTypeServiceData16 || len(data) < 2 || binary.LittleEndian.Uint16(data) != ServiceUUID {
			continue
		}
		if found {
			return Advertisement{}, fmt.Errorf("gaen: %w: 0xFD6F service data appears twice", ErrMalformedPayload)
		}
		data = data[2:]
		if len(data) != serviceDataPayloadBytes {
			return Advertisement{}, fmt.Errorf("gaen: %w: %d bytes, want %d (RPI ‖ AEM)",
				ErrServiceDataLength, len(data), serviceDataPayloadBytes)
		}
		copy(adv.RPI[:], data[:KeyLength])
		copy(adv.AEM[:], data[KeyLength:])
		found = true
	}
	if !found {
		return Advertisement{}, fmt.Errorf("gaen: %w", ErrNoServiceData)
	}
	return adv, nil
}
