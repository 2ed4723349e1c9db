package gaen

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
)

// KeyLength is the length in bytes of a TEK, RPIK, AEMK and RPI.
const KeyLength = 16

// TEK is a Temporary Exposure Key: 16 random bytes, valid for one rolling period. It is a secret until the
// user publishes it as a diagnosis key; never log it.
type TEK [KeyLength]byte

// RPI is a Rolling Proximity Identifier: the 16-byte identifier a device broadcasts during one interval.
type RPI [KeyLength]byte

// AEM is Associated Encrypted Metadata: the 4 encrypted metadata bytes broadcast after the RPI.
type AEM [MetadataLength]byte

// HKDF info strings from the specification.
var (
	infoRPIK = []byte("EN-RPIK")
	infoAEMK = []byte("EN-AEMK")
)

// rpiPrefix is bytes 0–5 of PaddedData; bytes 6–11 are zero and 12–15 the interval number (little-endian).
const rpiPrefix = "EN-RPI"

// NewTEK returns a TEK from crypto/rand.
func NewTEK() (TEK, error) {
	return NewTEKFrom(rand.Reader)
}

// NewTEKFrom returns a TEK read from r (tests pass a deterministic reader; production code uses NewTEK).
func NewTEKFrom(r io.Reader) (TEK, error) {
	var k TEK
	if _, err := io.ReadFull(r, k[:]); err != nil {
		return TEK{}, fmt.Errorf("gaen: generate TEK: %w", err)
	}
	return k, nil
}

// ParseTEK decodes a TEK from 32 hexadecimal digits.
func ParseTEK(s string) (TEK, error) {
	var k TEK
	if err := decodeHex16(s, k[:]); err != nil {
		return TEK{}, fmt.Errorf("gaen: parse TEK: %w", err)
	}
	return k, nil
}

// ParseRPI decodes an RPI from 32 hexadecimal digits.
func ParseRPI(s string) (RPI, error) {
	var r RPI
	if err := decodeHex16(s, r[:]); err != nil {
		return RPI{}, fmt.Errorf("gaen: parse RPI: %w", err)
	}
	return r, nil
}

func decodeHex16(s string, dst []byte) error {
	if len(s) != 2*KeyLength {
		return fmt.Errorf("want %d hex digits, got %d", 2*KeyLength, len(s))
	}
	_, err := hex.Decode(dst, []byte(s))
	return err
}

// String returns the RPI in lower-case hex. RPIs are public (they are broadcast), unlike TEKs.
func (r RPI) String() string { return hex.EncodeToString(r[:]) }

// String returns the AEM in lower-case hex.
func (a AEM) String() string { return hex.EncodeToString(a[:]) }

// DeriveRPIK returns the Rolling Proximity Identifier Key: HKDF-SHA256(tek, salt nil, "EN-RPIK", 16).
func DeriveRPIK(tek TEK) [KeyLength]byte {
	return hkdf16(tek, infoRPIK)
}

// DeriveAEMK returns the Associated Encrypted Metadata Key: HKDF-SHA256(tek, salt nil, "EN-AEMK", 16).
func DeriveAEMK(tek TEK) [KeyLength]byte {
	return hkdf16(tek, infoAEMK)
}

func hkdf16(tek TEK, info []byte) [KeyLength]byte {
	okm, err := hkdf.Key(sha256.New, tek[:], nil, string(info), KeyLength)
	if err != nil {
		// Only possible for lengths above 255×32 bytes.
		panic("gaen: hkdf: " + err.Error())
	}
	return [KeyLength]byte(okm)
}

// paddedData returns the AES input for interval: "EN-RPI" ‖ 0×6 ‖ LE32(interval).
func paddedData(interval uint32) [16]byte {
	var p [16]byte
	copy(p[:], rpiPrefix)
	binary.LittleEndian.PutUint32(p[12:], interval)
	return p
}

// RPIGenerator computes the RPIs of one RPIK. Build it once per key and reuse it for many intervals; it is safe
// for concurrent use.
type RPIGenerator struct {
	aes ecb // read-only after NewRPIGenerator
}

// NewRPIGenerator returns a generator for rpik.
func NewRPIGenerator(rpik [KeyLength]byte) *RPIGenerator {
	g := new(RPIGenerator)
	g.aes.setKey(&rpik)
	return g
}

// RPI returns the RPI for interval: AES-128(RPIK, "EN-RPI" ‖ 0×6 ‖ LE32(interval)).
func (g *RPIGenerator) RPI(interval uint32) RPI {
	p := paddedData(interval)
	var r RPI
	g.aes.encrypt(r[:], p[:], 1)
	return r
}

// RPIs fills dst with the RPIs of the consecutive intervals first, first+1, … and returns dst.
func (g *RPIGenerator) RPIs(first uint32, dst []RPI) []RPI {
	const chunk = 16 // blocks per call: a stack buffer, and enough to keep the AES pipeline full
	var buf [chunk * KeyLength]byte
	for done := 0; done < len(dst); done += chunk {
		n := min(chunk, len(dst)-done)
		for i := range n {
			p := buf[i*KeyLength : (i+1)*KeyLength]
			binary.LittleEndian.PutUint64(p[:8], rpiPrefixWord)
			binary.LittleEndian.PutUint64(p[8:], uint64(first+uint32(done+i))<<32)
		}
		g.aes.encrypt(buf[:], buf[:], n)
		for i := range n {
			dst[done+i] = RPI(buf[i*KeyLength : (i+1)*KeyLength])
		}
	}
	return dst
}

// DeriveRPI returns the RPI of tek for one interval. To derive many, use NewRPIGenerator(DeriveRPIK(tek)).
func DeriveRPI(tek TEK, interval uint32) RPI {
	return NewRPIGenerator(DeriveRPIK(tek)).RPI(interval)
}

// EncryptAEM encrypts 4 metadata bytes: AES-128-CTR with key aemk and the RPI as the initial counter block.
func EncryptAEM(aemk [KeyLength]byte, rpi RPI, metadata [MetadataLength]byte) AEM {
	return AEM(ctr4(aemk, rpi, metadata))
}

// DecryptAEM reverses EncryptAEM (CTR mode is its own inverse).
func DecryptAEM(aemk [KeyLength]byte, rpi RPI, aem AEM) [MetadataLength]byte {
	return ctr4(aemk, rpi, aem)
}

func ctr4(key [KeyLength]byte, rpi RPI, in [MetadataLength]byte) [MetadataLength]byte {
	// CTR over a single partial block is the first keystream block AES(key, IV) XORed with the input; doing it
	// directly avoids cipher.NewCTR's allocations and is bit-identical (tested against cipher.NewCTR).
	var e ecb
	e.setKey(&key)
	var ks [16]byte
	e.encrypt(ks[:], rpi[:], 1)
	var out [MetadataLength]byte
	for i := range out {
		out[i] = in[i] ^ ks[i]
	}
	return out
}

// Advertise returns what a device broadcasts in interval under tek: the RPI and the metadata encrypted into an
// AEM. Devices that send many advertisements should keep the RPIK, AEMK and an RPIGenerator instead.
func Advertise(tek TEK, interval uint32, md Metadata) Advertisement {
	rpi := DeriveRPI(tek, interval)
	return Advertisement{RPI: rpi, AEM: EncryptAEM(DeriveAEMK(tek), rpi, md.Bytes())}
}
