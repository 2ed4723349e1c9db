package verification

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// tokenKeyID is the kid of device tokens; the key is derived from the
// secret (see keyring), so it changes only when the secret does.
const tokenKeyID = "t1"

// subject is what a token certifies: "testType.symptomDate.testDate" with
// empty dates left empty, as in the reference.
type subject struct {
	TestType, SymptomDate, TestDate string
}

func (s subject) String() string { return s.TestType + "." + s.SymptomDate + "." + s.TestDate }

func parseSubject(v string) (subject, error) {
	parts := strings.Split(v, ".")
	if len(parts) != 3 || !isTestType(parts[0]) {
		return subject{}, fmt.Errorf("bad token subject")
	}
	for _, d := range parts[1:] {
		if d == "" {
			continue
		}
		if _, err := time.Parse(dateLayout, d); err != nil {
			return subject{}, fmt.Errorf("bad token subject date")
		}
	}
	return subject{parts[0], parts[1], parts[2]}, nil
}

// signToken makes the device token: ES256, kid "t1", iss = aud = the
// token issuer, sub, jti, iat, exp.
func (s *Server) signToken(jti string, sub subject, now time.Time) (string, error) {
	t := jwt.NewWithClaims(jwt.SigningMethodES256, s.tokenClaims(jti, sub, now))
	t.Header["kid"] = tokenKeyID
	signed, err := t.SignedString(s.keys.tokenKey)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return signed, nil
}

func (s *Server) tokenClaims(jti string, sub subject, now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"iss": s.cfg.TokenIssuer,
		"aud": s.cfg.TokenIssuer,
		"sub": sub.String(),
		"jti": jti,
		"iat": now.Unix(),
		"exp": now.Add(s.cfg.TokenTTL).Unix(),
	}
}

var (
	errTokenBad     = errors.New("token invalid")
	errTokenExpired = errors.New("token expired")
)

// parseToken checks a device token's signature, issuer and audience and
// returns its jti and subject. Expiry is reported as errTokenExpired (after
// the signature checked out), everything else as errTokenBad.
func (s *Server) parseToken(raw string, now time.Time) (string, subject, error) {
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(raw, claims, func(t *jwt.Token) (any, error) {
		if kid, _ := t.Header["kid"].(string); kid != tokenKeyID {
			return nil, errors.New("unknown kid")
		}
		return &s.keys.tokenKey.PublicKey, nil
	}, jwt.WithValidMethods([]string{"ES256"}), jwt.WithoutClaimsValidation())
	if err != nil {
		return "", subject{}, errTokenBad
	}
	iss, _ := claims["iss"].(string)
	aud, _ := claims["aud"].(string)
	jti, _ := claims["jti"].(string)
	subStr, _ := claims["sub"].(string)
	exp, expErr := claims.GetExpirationTime()
	if iss != s.cfg.TokenIssuer || aud != s.cfg.TokenIssuer || jti == "" || expErr != nil || exp == nil {
		return "", subject{}, errTokenBad
	}
	sub, err := parseSubject(subStr)
	if err != nil {
		return "", subject{}, errTokenBad
	}
	if !now.Before(exp.Time) {
		return "", subject{}, errTokenExpired
	}
	return jti, sub, nil
}

// certificateClaims are the verification certificate's claims (see
// docs CONTRACTS: iss, aud, iat, nbf, exp, reportType,
// symptomOnsetInterval, testDateInterval, tekmac).
func (s *Server) certificateClaims(sg *realmSigner, sub subject, tekmac string, now time.Time) jwt.MapClaims {
	c := jwt.MapClaims{
		"iss":        sg.issuer,
		"aud":        sg.audience,
		"iat":        now.Unix(),
		"nbf":        now.Add(-s.cfg.CertificateSkew).Unix(),
		"exp":        now.Add(s.cfg.CertificateTTL).Unix(),
		"reportType": sub.TestType,
		"tekmac":     tekmac,
	}
	if iv := dateInterval(sub.SymptomDate); iv != 0 {
		c["symptomOnsetInterval"] = iv
	}
	if iv := dateInterval(sub.TestDate); iv != 0 {
		c["testDateInterval"] = iv
	}
	return c
}

func signCertificate(sg *realmSigner, claims jwt.MapClaims) (string, error) {
	t := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	t.Header["kid"] = sg.version
	signed, err := t.SignedString(sg.key)
	if err != nil {
		return "", fmt.Errorf("sign certificate: %w", err)
	}
	return signed, nil
}

// fakeJWT returns a JWT-shaped string of a real one's size whose signature
// is random bytes, for chaff answers: it verifies against no key.
func fakeJWT(kid string, claims jwt.MapClaims) string {
	t := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	t.Header["kid"] = kid
	unsigned, err := t.SigningString()
	if err != nil {
		return randomToken(300)
	}
	return unsigned + "." + randomToken(64)
}
