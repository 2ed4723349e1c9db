package exportfile

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// KeyRef selects a public key the way devices do: by the
// verification_key_id and verification_key_version of a signature.
type KeyRef struct {
	ID, Version string
}

// TrustedKeys are the public keys a verifier accepts, by KeyRef.
type TrustedKeys map[KeyRef]*ecdsa.PublicKey

// SignatureResult is the outcome of checking one signature.
type SignatureResult int

// Signature results.
const (
	// SignatureValid: a trusted key verifies the signature.
	SignatureValid SignatureResult = iota + 1
	// SignatureUnknownKey: no trusted key has the signature's id and
	// version; it is skipped (devices may know only some keys).
	SignatureUnknownKey
	// SignatureInvalid: a trusted key has the signature's id and version
	// but does not verify it.
	SignatureInvalid
	// SignatureUnsupportedAlgorithm: the signature_algorithm is not
	// ECDSA P-256 with SHA-256.
	SignatureUnsupportedAlgorithm
)

func (r SignatureResult) String() string {
	switch r {
	case SignatureValid:
		return "valid"
	case SignatureUnknownKey:
		return "unknown key"
	case SignatureInvalid:
		return "invalid"
	case SignatureUnsupportedAlgorithm:
		return "unsupported algorithm"
	}
	return fmt.Sprintf("SignatureResult(%d)", int(r))
}

// SignatureStatus reports one signature of a file.
type SignatureStatus struct {
	Info                SignatureInfo
	BatchNum, BatchSize int32
	Result              SignatureResult
}

// Errors of Verify, for errors.Is.
var (
	// ErrBadSignature: a signature from a trusted key does not verify.
	ErrBadSignature = errors.New("export signature does not verify")
	// ErrNoTrustedSignature: no signature comes from a trusted key.
	ErrNoTrustedSignature = errors.New("export has no signature from a trusted key")
)

// Verify checks every signature of f over f.Bin and returns one status per
// signature, in file order. The error is nil only when at least one
// signature verifies with a trusted key and no signature that claims a
// trusted key fails; it then wraps ErrBadSignature or
// ErrNoTrustedSignature.
func (f *File) Verify(trusted TrustedKeys) ([]SignatureStatus, error) {
	return VerifyBin(f.Bin, f.Signatures, trusted)
}

// VerifyBin is File.Verify for a raw export.bin and parsed signatures.
func VerifyBin(bin []byte, sigs []Signature, trusted TrustedKeys) ([]SignatureStatus, error) {
	digest := sha256.Sum256(bin)
	statuses := make([]SignatureStatus, len(sigs))
	valid := 0
	var bad []string
	for i, s := range sigs {
		st := SignatureStatus{Info: s.Info, BatchNum: s.BatchNum, BatchSize: s.BatchSize}
		pub := trusted[KeyRef{ID: s.Info.KeyID, Version: s.Info.KeyVersion}]
		switch {
		case pub == nil:
			st.Result = SignatureUnknownKey
		case s.Info.Algorithm != AlgorithmECDSAP256SHA256:
			st.Result = SignatureUnsupportedAlgorithm
		case ecdsa.VerifyASN1(pub, digest[:], s.DER):
			st.Result = SignatureValid
			valid++
		default:
			st.Result = SignatureInvalid
		}
		if pub != nil && st.Result != SignatureValid {
			bad = append(bad, fmt.Sprintf("signature %d (key %s/%s): %v", i, s.Info.KeyID, s.Info.KeyVersion, st.Result))
		}
		statuses[i] = st
	}
	if len(bad) > 0 {
		return statuses, fmt.Errorf("%w: %s", ErrBadSignature, strings.Join(bad, "; "))
	}
	if valid == 0 {
		return statuses, fmt.Errorf("%w (%d signatures, %d trusted keys)", ErrNoTrustedSignature, len(sigs), len(trusted))
	}
	return statuses, nil
}

// ParsePublicKey parses an ECDSA P-256 public key given as a PEM "PUBLIC
// KEY" block or as base64 (standard or URL alphabet, padding optional,
// whitespace ignored) of the DER SubjectPublicKeyInfo — the form health
// authorities publish for devices.
func ParsePublicKey(data []byte) (*ecdsa.PublicKey, error) {
	var der []byte
	if block, _ := pem.Decode(data); block != nil {
		if block.Type != "PUBLIC KEY" {
			return nil, fmt.Errorf("parse public key: PEM block is %q, want \"PUBLIC KEY\"", block.Type)
		}
		der = block.Bytes
	} else {
		s := strings.Join(strings.Fields(string(data)), "")
		if strings.Contains(s, "-----") {
			return nil, errors.New("parse public key: malformed PEM")
		}
		if s == "" {
			return nil, errors.New("parse public key: empty input")
		}
		var err error
		der, err = decodeBase64(s)
		if err != nil {
			return nil, fmt.Errorf("parse public key: neither PEM nor base64: %w", err)
		}
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("parse public key: %w", err)
	}
	pub, ok := k.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		return nil, fmt.Errorf("parse public key: %T is not an ECDSA P-256 key", k)
	}
	return pub, nil
}

func decodeBase64(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "-_") {
		return base64.RawURLEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// MarshalPublicKeyPEM returns pub as a PEM "PUBLIC KEY" block
// (SubjectPublicKeyInfo).
func MarshalPublicKeyPEM(pub *ecdsa.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("marshal public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// MarshalPrivateKeyPEM returns key as a PEM "PRIVATE KEY" block (PKCS#8).
// The result is a secret: write it with 0600 permissions, never log it.
func MarshalPrivateKeyPEM(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("marshal private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ParsePrivateKeyPEM parses an ECDSA P-256 signing key from a PEM "PRIVATE
// KEY" (PKCS#8) or "EC PRIVATE KEY" (SEC 1) block.
func ParsePrivateKeyPEM(data []byte) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("parse private key: no PEM block")
	}
	var key any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("parse private key: PEM block is %q, want \"PRIVATE KEY\"", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("parse private key: %w", err)
	}
	priv, ok := key.(*ecdsa.PrivateKey)
	if !ok || priv.Curve != elliptic.P256() {
		return nil, fmt.Errorf("parse private key: %T is not an ECDSA P-256 key", key)
	}
	return priv, nil
}
