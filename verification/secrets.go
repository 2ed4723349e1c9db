package verification

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strconv"

	"github.com/bluezone-vn/bluezone/internal/httputil"
)

// keyring holds the sub-keys derived from Deps.Secret, one per purpose, so
// that no key is ever used for two jobs.
type keyring struct {
	codeMAC   []byte // HMAC key for short and long codes
	tokenMAC  []byte // HMAC key for token IDs
	apiKeyMAC []byte // HMAC key for API keys
	seal      cipher.AEAD
	tokenKey  *ecdsa.PrivateKey // signs device tokens (kid "t1")
	clientMAC []byte            // per-process, random: hashes client addresses
}

const hkdfSalt = "bluezone-vn verification v1"

func derive(secret []byte, purpose string, n int) ([]byte, error) {
	k, err := hkdf.Key(sha256.New, secret, []byte(hkdfSalt), purpose, n)
	if err != nil {
		return nil, fmt.Errorf("derive %s key: %w", purpose, err)
	}
	return k, nil
}

func newKeyring(secret []byte) (*keyring, error) {
	var kr keyring
	var err error
	if kr.codeMAC, err = derive(secret, "code hmac", 32); err != nil {
		return nil, err
	}
	if kr.tokenMAC, err = derive(secret, "token hmac", 32); err != nil {
		return nil, err
	}
	if kr.apiKeyMAC, err = derive(secret, "api key hmac", 32); err != nil {
		return nil, err
	}
	kek, err := derive(secret, "signing key encryption", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, fmt.Errorf("signing key encryption: %w", err)
	}
	if kr.seal, err = cipher.NewGCM(block); err != nil {
		return nil, fmt.Errorf("signing key encryption: %w", err)
	}
	// The token key is a P-256 scalar derived from the secret, so every
	// replica sharing the secret verifies every replica's tokens without a
	// stored key. A derived value ≥ the group order is vanishingly rare; the
	// counter just moves on if it happens.
	for i := 0; ; i++ {
		raw, err := derive(secret, "device token signing key "+strconv.Itoa(i), 32)
		if err != nil {
			return nil, err
		}
		if kr.tokenKey, err = ecdsa.ParseRawPrivateKey(elliptic.P256(), raw); err == nil {
			break
		}
		if i > 8 {
			return nil, fmt.Errorf("derive device token key: %w", err)
		}
	}
	kr.clientMAC = make([]byte, 32)
	if _, err := rand.Read(kr.clientMAC); err != nil {
		return nil, fmt.Errorf("client hash key: %w", err)
	}
	return &kr, nil
}

func mac(key []byte, s string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(s))
	return h.Sum(nil)
}

// sealPrivateKey encrypts a PKCS#8 private key, bound to its realm and
// version so a sealed key cannot be moved to another row.
func (kr *keyring) sealPrivateKey(realm string, version int, key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode private key: %w", err)
	}
	nonce := make([]byte, kr.seal.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal private key: %w", err)
	}
	return kr.seal.Seal(nonce, nonce, der, sealAAD(realm, version)), nil
}

func (kr *keyring) openPrivateKey(realm string, version int, sealed []byte) (*ecdsa.PrivateKey, error) {
	ns := kr.seal.NonceSize()
	if len(sealed) < ns {
		return nil, errors.New("open private key: sealed value too short")
	}
	der, err := kr.seal.Open(nil, sealed[:ns], sealed[ns:], sealAAD(realm, version))
	if err != nil {
		return nil, fmt.Errorf("open private key of realm %s v%d (wrong secret?): %w", realm, version, err)
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("parse private key: %w", err)
	}
	ek, ok := k.(*ecdsa.PrivateKey)
	if !ok || ek.Curve != elliptic.P256() {
		return nil, errors.New("parse private key: not a P-256 ECDSA key")
	}
	return ek, nil
}

func sealAAD(realm string, version int) []byte {
	return []byte("signing key " + realm + " v" + strconv.Itoa(version))
}

func publicKeyPEM(pub *ecdsa.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("encode public key: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}

// newShortCode returns 8 uniformly random decimal digits.
func newShortCode() string {
	return fmt.Sprintf("%08d", httputil.RandomIntn(100_000_000))
}

const longCodeAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// newLongCode returns 16 random characters from [a-z0-9] (≈ 82.7 bits).
func newLongCode() string {
	b := make([]byte, 16)
	for i := range b {
		b[i] = longCodeAlphabet[httputil.RandomIntn(len(longCodeAlphabet))]
	}
	return string(b)
}

// randomToken returns n random bytes, base64url-encoded without padding.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// newUUID returns a random (version 4) UUID in its canonical text form.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// newID returns a random 16-hex-character row identifier.
func newID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
