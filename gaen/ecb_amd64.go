//go:build amd64 && !purego

package gaen

import "golang.org/x/sys/cpu"

var useAESNI = cpu.X86.HasAES && cpu.X86.HasSSE2

// encryptBlocksAESNI encrypts n 16-byte blocks from src to dst with the 11 AES-128 round keys in rk.
//
//go:noescape
func encryptBlocksAESNI(rk *[11 * 16]byte, dst, src *byte, n int)
