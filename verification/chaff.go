package verification

import (
	"io"
	"net/http"

	"github.com/golang-jwt/jwt/v5"

	"github.com/bluezone-vn/bluezone/internal/httputil"
)

// Chaff requests (header X-Chaff, valid API key) get an answer of the real
// one's shape and size: same fields, a JWT-shaped string whose signature is
// random, fresh padding. Nothing is read from or written to the database
// beyond the API-key check, and nothing is counted.

// discardBody reads the request like a real one would be read, so timing
// and connection reuse look the same, and throws it away.
func (s *Server) discardBody(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, s.cfg.MaxBody))
}

func (s *Server) chaffVerify(w http.ResponseWriter, r *http.Request) {
	s.discardBody(w, r)
	now := s.now()
	sub := subject{TestType: TestConfirmed, SymptomDate: now.AddDate(0, 0, -3).Format(dateLayout)}
	httputil.WriteJSON(w, http.StatusOK, VerifyResponse{
		TestType:    sub.TestType,
		SymptomDate: sub.SymptomDate,
		Token:       fakeJWT(tokenKeyID, s.tokenClaims(randomToken(32), sub, now)),
		Padding:     s.padding(),
	})
}

func (s *Server) chaffCertificate(w http.ResponseWriter, r *http.Request) {
	s.discardBody(w, r)
	now := s.now()
	sg := &realmSigner{version: "v1", issuer: "bluezone-vn-vn", audience: s.cfg.DefaultAudience}
	claims := s.certificateClaims(sg, subject{TestType: TestConfirmed, SymptomDate: now.AddDate(0, 0, -3).Format(dateLayout)},
		randomStdBase64(32), now)
	httputil.WriteJSON(w, http.StatusOK, CertificateResponse{Certificate: fakeJWT(sg.version, jwt.MapClaims(claims)), Padding: s.padding()})
}

func randomStdBase64(n int) string {
	return httputil.Padding(n, n)
}
