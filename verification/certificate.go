package verification

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/bluezone-vn/bluezone/internal/httputil"
	"github.com/bluezone-vn/bluezone/store"
)

// DecodeCertificateRequest decodes and checks a POST /api/certificate body:
// strict JSON, and an ekeyhmac that decodes (standard or URL base64, padded
// or not) to exactly 32 bytes. It returns the HMAC bytes. Failures are
// *Error values (token_invalid for undecodable bodies, as the reference
// does; hmac_invalid for the HMAC).
func DecodeCertificateRequest(body []byte) (CertificateRequest, []byte, error) {
	var req CertificateRequest
	if err := httputil.DecodeJSONBytes(body, &req); err != nil {
		return CertificateRequest{}, nil, decodeFailure(err, ErrTokenInvalid)
	}
	mac, err := decodeEKeyHMAC(req.EKeyHMAC)
	if err != nil {
		return CertificateRequest{}, nil, err
	}
	return req, mac, nil
}

func decodeEKeyHMAC(v string) ([]byte, error) {
	if v == "" || len(v) > 100 {
		return nil, apiErr(http.StatusBadRequest, ErrHMACInvalid, "ekeyhmac must be the base64 of 32 bytes")
	}
	enc := base64.StdEncoding
	if strings.ContainsAny(v, "-_") {
		enc = base64.URLEncoding
	}
	if !strings.HasSuffix(v, "=") {
		enc = enc.WithPadding(base64.NoPadding)
	}
	b, err := enc.Strict().DecodeString(v)
	if err != nil {
		return nil, apiErr(http.StatusBadRequest, ErrHMACInvalid, "ekeyhmac is not valid base64")
	}
	if len(b) != 32 {
		return nil, apiErr(http.StatusBadRequest, ErrHMACInvalid, "ekeyhmac must decode to 32 bytes, got %d", len(b))
	}
	return b, nil
}

// handleCertificate serves POST /api/certificate (device key): token +
// ekeyhmac → verification certificate.
func (s *Server) handleCertificate(w http.ResponseWriter, r *http.Request, key *authKey) {
	if httputil.IsChaff(r) {
		s.chaffCertificate(w, r)
		return
	}
	var req CertificateRequest
	if err := httputil.DecodeJSON(w, r, s.cfg.MaxBody, &req); err != nil {
		s.fail(w, r, decodeFailure(err, ErrTokenInvalid))
		return
	}
	now := s.now()
	jti, sub, err := s.parseToken(req.Token, now)
	switch {
	case errors.Is(err, errTokenExpired):
		s.bumpStatLogged(r.Context(), key.realm, statTokensInvalid)
		s.fail(w, r, apiErr(http.StatusBadRequest, ErrTokenExpired, "verification token expired"))
		return
	case err != nil:
		s.bumpStatLogged(r.Context(), key.realm, statTokensInvalid)
		s.fail(w, r, apiErr(http.StatusBadRequest, ErrTokenInvalid, "verification token invalid"))
		return
	}
	hmacBytes, err := decodeEKeyHMAC(req.EKeyHMAC)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cert, err := s.issueCertificate(r.Context(), key, jti, sub, base64.StdEncoding.EncodeToString(hmacBytes), now)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.metricResult(r.URL.Path, "ok")
	httputil.WriteJSON(w, http.StatusOK, CertificateResponse{Certificate: cert, Padding: s.padding()})
}

// issueCertificate claims the token (once) and signs a certificate with the
// token's realm's active key.
func (s *Server) issueCertificate(ctx context.Context, key *authKey, jti string, sub subject, tekmac string, now time.Time) (string, error) {
	hm := mac(s.keys.tokenMAC, jti)
	invalid := apiErr(http.StatusBadRequest, ErrTokenInvalid, "verification token invalid")
	var cert, countRealm string
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		var realm, stored string
		var expires int64
		var claimed int
		err := tx.QueryRow(ctx, `SELECT realm_code, subject, expires_at, claimed FROM verification_tokens WHERE token_hmac = ?`,
			hm).Scan(&realm, &stored, &expires, &claimed)
		if isNoRows(err) {
			countRealm = key.realm
			return invalid
		}
		if err != nil {
			return err
		}
		countRealm = realm
		switch {
		case !key.national() && realm != key.realm, claimed != 0, stored != sub.String():
			return invalid
		case now.Unix() >= expires:
			return apiErr(http.StatusBadRequest, ErrTokenExpired, "verification token expired")
		}
		sg, err := s.signerFor(ctx, realm)
		if err != nil {
			return err
		}
		if cert, err = signCertificate(sg, s.certificateClaims(sg, sub, tekmac, now)); err != nil {
			return err
		}
		res, err := tx.Exec(ctx, `UPDATE verification_tokens SET claimed = 1 WHERE token_hmac = ? AND claimed = 0`, hm)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return invalid
		}
		if err := bumpStat(ctx, tx, realm, now, statTokensClaimed); err != nil {
			return err
		}
		countRealm = ""
		return bumpStat(ctx, tx, realm, now, statCertificates)
	})
	if err != nil {
		var e *Error
		if countRealm != "" && errors.As(err, &e) {
			s.bumpStatLogged(ctx, countRealm, statTokensInvalid)
		}
		return "", err
	}
	return cert, nil
}
