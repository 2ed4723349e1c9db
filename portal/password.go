package portal

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Argon2Params are argon2id's cost parameters.
type Argon2Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
}

// DefaultArgon2 is OWASP's first recommended argon2id setting (m = 19 MiB,
// t = 2, p = 1): about 30–60 ms per login on one core of our machines.
var DefaultArgon2 = Argon2Params{Memory: 19 * 1024, Time: 2, Threads: 1}

func (p Argon2Params) validate() error {
	if p.Memory < 8*1024 || p.Memory > 1024*1024 || p.Time < 1 || p.Time > 10 || p.Threads < 1 {
		return fmt.Errorf("portal: Argon2 parameters m=%d KiB t=%d p=%d out of range (m 8192..1048576, t 1..10, p ≥ 1)", p.Memory, p.Time, p.Threads)
	}
	return nil
}

const (
	argonSaltLen = 16
	argonKeyLen  = 32
)

// hashPassword returns the PHC string of an argon2id hash of pw with a fresh
// salt: $argon2id$v=19$m=…,t=…,p=…$salt$hash (unpadded standard base64).
func hashPassword(pw string, p Argon2Params) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

var errBadHash = errors.New("unparsable password hash")

// checkPassword reports whether pw matches the PHC string, comparing in
// constant time.
func checkPassword(pw, phc string) (bool, error) {
	p, salt, want, err := parsePHC(phc)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// parsePHC splits $argon2id$v=19$m=…,t=…,p=…$salt$hash, refusing other
// algorithms and out-of-range parameters.
func parsePHC(phc string) (Argon2Params, []byte, []byte, error) {
	var p Argon2Params
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return p, nil, nil, errBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil || p.validate() != nil ||
		parts[3] != fmt.Sprintf("m=%d,t=%d,p=%d", p.Memory, p.Time, p.Threads) {
		return p, nil, nil, errBadHash
	}
	enc := base64.RawStdEncoding
	salt, err := enc.DecodeString(parts[4])
	if err != nil || len(salt) < 8 || len(salt) > 64 {
		return p, nil, nil, errBadHash
	}
	hash, err := enc.DecodeString(parts[5])
	if err != nil || len(hash) < 16 || len(hash) > 64 {
		return p, nil, nil, errBadHash
	}
	return p, salt, hash, nil
}

// dummyHash is checked against when a username is unknown, so that a login
// takes as long whether or not the account exists.
var dummyHash = func() string {
	h, err := hashPassword("no such user, no such password", DefaultArgon2)
	if err != nil {
		panic(err)
	}
	return h
}()

// passwordProblem returns the message key of what is wrong with a new
// password, or "" when it is acceptable.
func passwordProblem(pw string, minLen int, username string) string {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < minLen:
		return "err.pw_short"
	case n > 128:
		return "err.pw_long"
	case strings.Contains(strings.ToLower(pw), strings.ToLower(username)):
		return "err.pw_username"
	}
	return ""
}

// temporaryPassword returns a random 16-character password for an admin
// reset (about 95 bits).
func temporaryPassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
