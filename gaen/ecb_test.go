package gaen

import (
	"crypto/aes"
	"crypto/cipher"
	"math/rand/v2"
	"testing"
)

// TestECB checks the multi-block AES used by the matcher against crypto/aes for random keys and every block
// count from 0 to 40 (covering the eight-block loop and the single-block tail), in place and out of place.
func TestECB(t *testing.T) {
	t.Logf("AES-NI path: %v", useAESNI)
	r := rand.New(rand.NewPCG(3, 4))
	for n := 0; n <= 40; n++ {
		for range 20 {
			key := [16]byte(randomTEK(r))
			src := make([]byte, 16*n+16)
			for i := range src {
				src[i] = byte(r.Uint32())
			}
			want := make([]byte, len(src))
			copy(want, src) // the extra trailing block must stay untouched
			b, _ := aes.NewCipher(key[:])
			for i := 0; i < 16*n; i += 16 {
				b.Encrypt(want[i:i+16], src[i:i+16])
			}
			var e ecb
			e.setKey(&key)
			got := make([]byte, len(src))
			copy(got[16*n:], src[16*n:])
			if n > 0 {
				e.encrypt(got, src, n)
			}
			if string(got) != string(want) {
				t.Fatalf("n=%d key=%x: got %x, want %x", n, key, got, want)
			}
			if n > 0 {
				inPlace := append([]byte(nil), src...)
				e.encrypt(inPlace, inPlace, n)
				if string(inPlace) != string(want) {
					t.Fatalf("n=%d in place: got %x, want %x", n, inPlace, want)
				}
			}
		}
	}
}

// TestSbox checks the computed S-box at known points (FIPS-197 figure 7) and that it is a permutation.
func TestSbox(t *testing.T) {
	for in, want := range map[byte]byte{0x00: 0x63, 0x01: 0x7c, 0x53: 0xed, 0xff: 0x16, 0x10: 0xca} {
		if sbox[in] != want {
			t.Errorf("sbox[%#x] = %#x, want %#x", in, sbox[in], want)
		}
	}
	var seen [256]bool
	for _, v := range sbox {
		if seen[v] {
			t.Fatalf("sbox repeats %#x", v)
		}
		seen[v] = true
	}
}

// TestAEMAgainstCTR checks EncryptAEM against crypto/cipher's CTR mode with the RPI as IV.
func TestAEMAgainstCTR(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for range 200 {
		key, rpi := [16]byte(randomTEK(r)), RPI(randomTEK(r))
		md := [4]byte{byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32()), byte(r.Uint32())}
		b, _ := aes.NewCipher(key[:])
		var want [4]byte
		cipher.NewCTR(b, rpi[:]).XORKeyStream(want[:], md[:])
		if got := EncryptAEM(key, rpi, md); [4]byte(got) != want {
			t.Fatalf("EncryptAEM = %x, CTR = %x", got, want)
		}
		if got := DecryptAEM(key, rpi, AEM(want)); got != md {
			t.Fatalf("DecryptAEM = %x, want %x", got, md)
		}
	}
}
