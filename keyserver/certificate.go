package keyserver

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strconv"

	"github.com/golang-jwt/jwt/v5"
)

// CertificateClaims are the claims of a verification certificate (a JWT
// signed ES256 by a health authority), per CONTRACTS.md and the reference's
// VerificationClaims.
type CertificateClaims struct {
	ReportType           string `json:"reportType"`
	SymptomOnsetInterval uint32 `json:"symptomOnsetInterval,omitempty"`
	TestDateInterval     uint32 `json:"testDateInterval,omitempty"`
	SignedMAC            string `json:"tekmac"`
	jwt.RegisteredClaims
}

// verifiedClaims is what a checked certificate tells the publish path.
type verifiedClaims struct {
	issuer               string
	reportType           string
	symptomOnsetInterval uint32
}

// errCertificate wraps every certificate failure; its message is safe to
// return to the client (it names no secret).
type errCertificate struct{ msg string }

func (e *errCertificate) Error() string { return e.msg }

func certErrorf(format string, args ...any) error {
	return &errCertificate{msg: fmt.Sprintf(format, args...)}
}

// ExposureKeyHMAC computes the verification protocol's tekmac over keys with
// secret (the device's hmacKey): the keys sorted by their base64 text, each
// written "key.rollingStartNumber.rollingPeriod.transmissionRisk", joined by
// ",", HMAC-SHA256'd. With withTR false the ".transmissionRisk" part is left
// out, the variant the reference accepts when every risk is 0. keys is not
// modified.
func ExposureKeyHMAC(keys []ExposureKey, secret []byte, withTR bool) []byte {
	sorted := make([]ExposureKey, len(keys))
	copy(sorted, keys)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Key < sorted[j].Key })
	mac := hmac.New(sha256.New, secret)
	buf := make([]byte, 0, 64)
	for i, k := range sorted {
		buf = buf[:0]
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, k.Key...)
		buf = append(buf, '.')
		buf = strconv.AppendInt(buf, int64(k.IntervalNumber), 10)
		buf = append(buf, '.')
		buf = strconv.AppendInt(buf, int64(k.IntervalCount), 10)
		if withTR {
			buf = append(buf, '.')
			buf = strconv.AppendInt(buf, int64(k.TransmissionRisk), 10)
		}
		mac.Write(buf)
	}
	return mac.Sum(nil)
}

var knownReportTypes = map[string]bool{
	ReportTypeConfirmed: true, ReportTypeLikely: true, ReportTypeNegative: true, ReportTypeContact: true,
}

// verifyCertificate checks req's verification certificate for app: ES256
// only, a kid naming a key of the issuer valid now, a known issuer the app
// may use, the issuer's audience, exp/nbf/iat against the injected clock (with
// Config.ClockSkew), a known reportType, and a tekmac matching req's keys
// under req's hmacKey (compared in constant time). Any failure is an
// *errCertificate; a database failure is returned as is.
func (s *Server) verifyCertificate(ctx context.Context, app *AuthorizedApp, req *PublishRequest) (*verifiedClaims, error) {
	if req.VerificationPayload == "" {
		return nil, certErrorf("verificationPayload is missing")
	}
	var (
		claims   CertificateClaims
		issuer   string
		lookupEr error
	)
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodES256.Alg()}),
		jwt.WithTimeFunc(s.clock.Now),
		jwt.WithLeeway(s.cfg.ClockSkew),
		jwt.WithIssuedAt(),
		jwt.WithExpirationRequired(),
	)
	_, err := parser.ParseWithClaims(req.VerificationPayload, &claims, func(tok *jwt.Token) (any, error) {
		if tok.Method != jwt.SigningMethodES256 {
			return nil, certErrorf("signing method must be ES256")
		}
		kid, _ := tok.Header["kid"].(string)
		if kid == "" {
			return nil, certErrorf("header kid is missing")
		}
		issuer = claims.Issuer
		ha, err := s.loadAuthority(ctx, issuer)
		if err != nil {
			lookupEr = err
			return nil, err
		}
		if ha == nil {
			return nil, certErrorf("unknown issuer")
		}
		if len(claims.Audience) != 1 || claims.Audience[0] != ha.ha.Audience {
			return nil, certErrorf("audience does not match the issuer's")
		}
		now := s.clock.Now()
		for _, k := range ha.keys[kid] {
			if now.Before(k.from) || (k.thru != nil && !now.Before(*k.thru)) {
				continue
			}
			return k.pub, nil
		}
		return nil, certErrorf("no key %q valid now for the issuer", kid)
	})
	if lookupEr != nil {
		return nil, fmt.Errorf("verify certificate: %w", lookupEr)
	}
	if err != nil {
		var ce *errCertificate
		switch {
		case errors.As(err, &ce):
			return nil, ce
		case errors.Is(err, jwt.ErrTokenExpired):
			return nil, certErrorf("certificate has expired")
		case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
			return nil, certErrorf("certificate is not valid yet")
		case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
			return nil, certErrorf("certificate lacks a required claim")
		case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
			return nil, certErrorf("certificate signature is invalid")
		default:
			return nil, certErrorf("certificate is malformed")
		}
	}
	// Checked after the signature so the answer does not reveal app
	// configuration to unsigned probes.
	if !app.allows(issuer) {
		return nil, certErrorf("app is not allowed to use this health authority")
	}
	if !knownReportTypes[claims.ReportType] {
		return nil, certErrorf("reportType claim is missing or unknown")
	}
	want, err := base64.StdEncoding.DecodeString(claims.SignedMAC)
	if err != nil || len(want) != sha256.Size {
		return nil, certErrorf("tekmac claim is not a base64 HMAC-SHA256")
	}
	secret, err := base64.StdEncoding.DecodeString(req.HMACKey)
	if err != nil || len(secret) == 0 {
		return nil, certErrorf("hmacKey is not valid base64")
	}
	if len(req.Keys) == 0 {
		return nil, certErrorf("no keys to match the tekmac")
	}
	ok := hmac.Equal(ExposureKeyHMAC(req.Keys, secret, true), want)
	allZero := true
	for _, k := range req.Keys {
		if k.TransmissionRisk != 0 {
			allZero = false
			break
		}
	}
	if allZero {
		ok = hmac.Equal(ExposureKeyHMAC(req.Keys, secret, false), want) || ok
	}
	if !ok {
		return nil, certErrorf("tekmac does not match the published keys")
	}
	return &verifiedClaims{issuer: issuer, reportType: claims.ReportType, symptomOnsetInterval: claims.SymptomOnsetInterval}, nil
}
