package portal

import (
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// handleCodeIssue issues the case's verification code and shows it ONCE:
// the 8-digit code, the long code, its links, a QR code and the text to
// read out or send, optionally sending that text by SMS. The page is
// no-store; the portal keeps only the code's UUID, and the phone number
// lives only for this request.
func (s *Server) handleCodeIssue(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	c, ok := s.caseOf(w, r, rc)
	if !ok {
		return
	}
	back := "/cases/" + itoa(c.ID)
	testType, errKey := testTypeFor(c.Status, r.PostForm.Get("authorised") == "yes")
	if errKey != "" {
		s.redirect(w, r, back+"?err="+errKey)
		return
	}
	phone := ""
	if raw := strings.TrimSpace(r.PostForm.Get("phone")); raw != "" {
		if phone = normalizePhone(raw); phone == "" {
			s.redirect(w, r, back+"?err=err.phone")
			return
		}
	}
	msgLang := r.PostForm.Get("msg_lang")
	if msgLang != langEN {
		msgLang = langVI
	}
	ic, err := s.issueCode(r.Context(), rc.User, c, testType, phone != "")
	if err != nil {
		if errors.Is(err, ErrInvalidInput) {
			s.render(w, r, rc, http.StatusBadRequest, "error", "err.title", map[string]any{"Message": rc.L.T("err.issue") + " " + errors.Unwrap(err).Error()})
			return
		}
		s.serverError(w, r, rc, err)
		return
	}
	appLink, httpsLink := s.links(ic.LongCode)
	qrTarget := appLink
	if httpsLink != "" {
		qrTarget = httpsLink
	}
	png, err := qrcode.Encode(qrTarget, qrcode.Medium, 256)
	if err != nil {
		s.serverError(w, r, rc, err)
		return
	}
	now := s.clock.Now()
	minutes := int(math.Round(ic.ExpiresAt.Sub(now).Minutes()))
	hours := int(math.Round(ic.LongExpiresAt.Sub(now).Hours()))
	text := newLocale(msgLang).F("code.sms", ic.Code, minutes, qrTarget, hours)
	smsSent, smsFailed := false, false
	if phone != "" {
		if err := s.sms.Send(r.Context(), phone, text); err != nil {
			s.log.WarnContext(r.Context(), "portal: SMS failed", "err", err)
			smsFailed = true
		} else {
			smsSent = true
			if err := s.audit(r.Context(), s.db, actorOf(rc.User), "code_sms", c.Province, caseTarget(c), "uuid="+ic.UUID); err != nil {
				s.serverError(w, r, rc, err)
				return
			}
		}
		phone = ""
	}
	s.render(w, r, rc, http.StatusOK, "code", "code.title", map[string]any{
		"Case": c, "TestType": testType, "Code": ic.Code, "LongCode": ic.LongCode,
		"ExpiresAt": ic.ExpiresAt.In(Zone), "LongExpiresAt": ic.LongExpiresAt.In(Zone),
		"AppLink": appLink, "HTTPSLink": httpsLink,
		"QR":   template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)),
		"Text": text, "SMSSent": smsSent, "SMSFailed": smsFailed,
		"Minutes": fmt.Sprint(minutes),
	})
}

// normalizePhone returns a Vietnamese mobile number as 0xxxxxxxxx, or ""
// when raw is not one (+84 and 84 prefixes, spaces, dots and dashes are
// accepted).
func normalizePhone(raw string) string {
	var b strings.Builder
	for i, r := range raw {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0, r == ' ', r == '.', r == '-':
		default:
			return ""
		}
	}
	d := b.String()
	if strings.HasPrefix(d, "84") && len(d) == 11 {
		d = "0" + d[2:]
	}
	if len(d) != 10 || d[0] != '0' || d[1] == '0' {
		return ""
	}
	return d
}
