package portal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
)

// secretKeys are the sub-keys derived from Deps.Secret, one per purpose.
type secretKeys struct {
	session []byte // HMAC of session ids (what the database stores)
	csrf    []byte // CSRF tokens: HMAC of the session id
	seal    cipher.AEAD
}

func deriveKeys(secret []byte) (secretKeys, error) {
	var k secretKeys
	get := func(purpose string) ([]byte, error) {
		return hkdf.Key(sha256.New, secret, []byte("bluezone-vn portal v1"), purpose, 32)
	}
	var err error
	if k.session, err = get("session-id"); err != nil {
		return k, fmt.Errorf("portal keys: %w", err)
	}
	if k.csrf, err = get("csrf"); err != nil {
		return k, fmt.Errorf("portal keys: %w", err)
	}
	sealKey, err := get("totp-seal")
	if err != nil {
		return k, fmt.Errorf("portal keys: %w", err)
	}
	block, err := aes.NewCipher(sealKey)
	if err != nil {
		return k, fmt.Errorf("portal keys: %w", err)
	}
	if k.seal, err = cipher.NewGCM(block); err != nil {
		return k, fmt.Errorf("portal keys: %w", err)
	}
	return k, nil
}

// newToken returns 32 random bytes in unpadded base64url: session ids and
// pre-login CSRF cookies.
func newToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func mac(key []byte, parts ...string) []byte {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return m.Sum(nil)
}

// sessionHash is what the sessions table stores instead of the cookie value.
func (k secretKeys) sessionHash(id string) string { return hex.EncodeToString(mac(k.session, id)) }

// csrfToken is the form token of a session (or, before login, of the
// pre-login cookie).
func (k secretKeys) csrfToken(kind, id string) string {
	return base64.RawURLEncoding.EncodeToString(mac(k.csrf, kind, id))
}

// csrfOK compares a submitted token with the expected one in constant time.
func (k secretKeys) csrfOK(kind, id, got string) bool {
	if id == "" || got == "" {
		return false
	}
	return hmac.Equal([]byte(k.csrfToken(kind, id)), []byte(got))
}

// sealString encrypts s (a TOTP secret) with AES-GCM under a per-user
// context, so a sealed value copied to another account does not open.
func (k secretKeys) sealString(s, context string) string {
	nonce := make([]byte, k.seal.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(err)
	}
	return base64.RawStdEncoding.EncodeToString(k.seal.Seal(nonce, nonce, []byte(s), []byte(context)))
}

func (k secretKeys) openString(sealed, context string) (string, error) {
	b, err := base64.RawStdEncoding.DecodeString(sealed)
	if err != nil || len(b) < k.seal.NonceSize() {
		return "", errors.New("sealed value is damaged")
	}
	n := k.seal.NonceSize()
	p, err := k.seal.Open(nil, b[:n], b[n:], []byte(context))
	if err != nil {
		return "", fmt.Errorf("open sealed value: %w", err)
	}
	return string(p), nil
}
