//go:build !amd64 || purego

package gaen

const useAESNI = false

func encryptBlocksAESNI(rk *[11 * 16]byte, dst, src *byte, n int) {
	panic("gaen: AES-NI path called without AES-NI")
}
