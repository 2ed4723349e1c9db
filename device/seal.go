package device

import (
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// DeviceKeyLength is the length of the key that encrypts a device's files
// at rest (AES-256-GCM).
const DeviceKeyLength = 32

const deviceKeyFile = "device.key"

// sealer encrypts and authenticates the device's files with AES-256-GCM and a
// random 96-bit nonce per message. The additional data binds each message to
// its purpose and file, so blocks cannot be moved between files.
type sealer struct {
	aead cipher.AEAD
	rand io.Reader
}

func newSealer(key []byte, rnd io.Reader) (*sealer, error) {
	if len(key) != DeviceKeyLength {
		return nil, fmt.Errorf("device key must be %d bytes, got %d", DeviceKeyLength, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("device key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("device key: %w", err)
	}
	return &sealer{aead: aead, rand: rnd}, nil
}

// seal returns nonce ‖ ciphertext ‖ tag.
func (s *sealer) seal(plain, ad []byte) ([]byte, error) {
	out := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	if _, err := io.ReadFull(s.rand, out); err != nil {
		return nil, fmt.Errorf("nonce: %w", err)
	}
	return s.aead.Seal(out, out, plain, ad), nil
}

var errOpen = errors.New("decryption failed (wrong device key or tampered data)")

func (s *sealer) open(sealed, ad []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n+s.aead.Overhead() {
		return nil, errOpen
	}
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], ad)
	if err != nil {
		return nil, errOpen
	}
	return plain, nil
}

// loadOrCreateDeviceKey reads dir/device.key, creating it with a random key
// when create is true and it does not exist. On a phone the key would live in
// the platform key store and be passed in Options.DeviceKey instead.
func loadOrCreateDeviceKey(dir string, create bool, rnd io.Reader, sync bool) ([]byte, error) {
	p := filepath.Join(dir, deviceKeyFile)
	key, err := os.ReadFile(p)
	if err == nil {
		if len(key) != DeviceKeyLength {
			return nil, fmt.Errorf("%s: want %d bytes, got %d", p, DeviceKeyLength, len(key))
		}
		return key, nil
	}
	if !errors.Is(err, os.ErrNotExist) || !create {
		return nil, fmt.Errorf("read device key: %w", err)
	}
	key = make([]byte, DeviceKeyLength)
	if _, err := io.ReadFull(rnd, key); err != nil {
		return nil, fmt.Errorf("create device key: %w", err)
	}
	if err := writeFileAtomic(p, key, 0o600, sync); err != nil {
		return nil, fmt.Errorf("create device key: %w", err)
	}
	return key, nil
}

// writeFileAtomic writes data to a temporary file, syncs it (unless sync is
// false) and renames it over path, so a crash leaves either the old or the
// new content.
func writeFileAtomic(path string, data []byte, perm os.FileMode, sync bool) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if sync {
		if err := tmp.Sync(); err != nil {
			tmp.Close()
			return err
		}
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func randomBytes(r io.Reader, n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	return b, nil
}
