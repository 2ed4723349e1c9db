package gaen

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
)

// ecb encrypts many AES-128 blocks under one key, for the matcher, which derives up to 144 RPIs per diagnosis
// key for a million keys. crypto/aes only offers one block per call, which on AES-NI hardware is bound by the
// instruction latency (about 20 ns a block here); the amd64 assembly keeps eight blocks in flight instead and
// needs no allocation per key. Elsewhere, or without AES-NI, it falls back to crypto/aes. Both are tested
// against crypto/aes on random keys and blocks, and the matcher against a crypto/aes-only reference.
// Not safe for concurrent use.
type ecb struct {
	rk    [11 * 16]byte // AES-128 round keys in the byte order AES-NI uses
	block cipher.Block  // fallback
}

func (e *ecb) setKey(key *[KeyLength]byte) {
	if !useAESNI {
		b, err := aes.NewCipher(key[:])
		if err != nil {
			panic("gaen: aes: " + err.Error()) // unreachable: 16-byte key
		}
		e.block = b
		return
	}
	expandKey128(key, &e.rk)
}

// encrypt encrypts n whole blocks from src into dst (which may be the same slice).
func (e *ecb) encrypt(dst, src []byte, n int) {
	_, _ = dst[16*n-1], src[16*n-1] // bounds check before the assembly runs
	if useAESNI {
		encryptBlocksAESNI(&e.rk, &dst[0], &src[0], n)
		return
	}
	// Going through a scratch block keeps dst and src from escaping to the heap (cipher.Block is an interface),
	// so callers' stack buffers stay on the stack on the AES-NI path.
	tmp := make([]byte, 16)
	for i := 0; i < 16*n; i += 16 {
		copy(tmp, src[i:i+16])
		e.block.Encrypt(tmp, tmp)
		copy(dst[i:i+16], tmp)
	}
}

// sbox is the AES S-box, computed at start-up from its definition (multiplicative inverse in GF(2⁸) followed
// by the affine map) rather than pasted as a table.
var sbox = func() (s [256]byte) {
	p, q := byte(1), byte(1)
	for {
		// p runs over all non-zero elements by multiplying by 3; q = p⁻¹ by dividing by 3.
		hi := p & 0x80
		p ^= p << 1
		if hi != 0 {
			p ^= 0x1B
		}
		q ^= q << 1
		q ^= q << 2
		q ^= q << 4
		if q&0x80 != 0 {
			q ^= 0x09
		}
		s[p] = q ^ rotl8(q, 1) ^ rotl8(q, 2) ^ rotl8(q, 3) ^ rotl8(q, 4) ^ 0x63
		if p == 1 {
			break
		}
	}
	s[0] = 0x63
	return s
}()

func rotl8(x byte, n uint) byte { return x<<n | x>>(8-n) }

// expandKey128 is the FIPS-197 key schedule for a 128-bit key. Round key r is words 4r..4r+3, each stored
// big-endian, which is the state byte order AESENC expects.
func expandKey128(key *[KeyLength]byte, rk *[11 * 16]byte) {
	var w [44]uint32
	for i := range 4 {
		w[i] = binary.BigEndian.Uint32(key[4*i:])
	}
	rcon := uint32(1)
	for i := 4; i < 44; i++ {
		t := w[i-1]
		if i%4 == 0 {
			t = t<<8 | t>>24
			t = uint32(sbox[t>>24])<<24 | uint32(sbox[t>>16&0xFF])<<16 | uint32(sbox[t>>8&0xFF])<<8 | uint32(sbox[t&0xFF])
			t ^= rcon << 24
			rcon <<= 1
			if rcon&0x100 != 0 {
				rcon ^= 0x11B
			}
		}
		w[i] = w[i-4] ^ t
	}
	for i, v := range w {
		binary.BigEndian.PutUint32(rk[4*i:], v)
	}
}
