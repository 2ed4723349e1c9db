package gaen

import (
	"crypto/hmac"
	"crypto/sha256"
	"hash"
)

// deriver computes RPIK and AEMK like DeriveRPIK and DeriveAEMK, but with reusable state and no allocations
// per key. It is the hot path of matching, where a million keys are derived at a time.
//
// HKDF-SHA256 with a nil salt is HMAC keyed with 32 zero bytes; that key never changes, so crypto/hmac's
// saved inner and outer states (restored by Reset) skip two of the eight SHA-256 blocks per key. The expand
// step is one HMAC block keyed with the PRK, done here by hand into reused buffers. Not safe for concurrent
// use: each goroutine needs its own.
type deriver struct {
	extract hash.Hash // HMAC-SHA256 keyed with the zero salt
	h       hash.Hash // plain SHA-256 for the expand step
	prk     [sha256.Size]byte
	pad     [sha256.BlockSize]byte
	sum     [sha256.Size]byte
	info    [8]byte // info ‖ 0x01 for T(1)
}

func newDeriver() *deriver {
	var zeroSalt [sha256.Size]byte
	return &deriver{extract: hmac.New(sha256.New, zeroSalt[:]), h: sha256.New()}
}

// setTEK runs the HKDF extract step for tek.
func (d *deriver) setTEK(tek *TEK) {
	d.extract.Reset()
	d.extract.Write(tek[:])
	d.extract.Sum(d.prk[:0])
}

// expand returns the first 16 bytes of HKDF-Expand(PRK, info) for a 7-byte info ("EN-RPIK" or "EN-AEMK").
func (d *deriver) expand(info []byte) [KeyLength]byte {
	n := copy(d.info[:], info)
	d.info[n] = 1
	for i := range d.pad {
		var k byte
		if i < len(d.prk) {
			k = d.prk[i]
		}
		d.pad[i] = k ^ 0x36
	}
	d.h.Reset()
	d.h.Write(d.pad[:])
	d.h.Write(d.info[:n+1])
	d.h.Sum(d.sum[:0])
	for i := range d.pad {
		d.pad[i] ^= 0x36 ^ 0x5c
	}
	d.h.Reset()
	d.h.Write(d.pad[:])
	d.h.Write(d.sum[:])
	d.h.Sum(d.sum[:0])
	return [KeyLength]byte(d.sum[:KeyLength])
}
