package device

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/bluezone-vn/bluezone/gaen"
)

// ErrNoConsent is returned by Report when the user did not consent: nothing
// was sent.
var ErrNoConsent = errors.New("report: the user did not consent to sharing their keys; nothing was sent")

// ReportResult says what a report did.
type ReportResult struct {
	// TestType is the verified code's type: "confirmed", "likely",
	// "negative" or "contact".
	TestType string
	// SymptomDate is the onset date the health worker entered, if any.
	SymptomDate string
	// Keys counts the keys published; Inserted is how many the server
	// stored as new.
	Keys, Inserted int
	// Warnings are the server's per-key warnings (keys it dropped).
	Warnings string
}

// APIError is an error answer of the server, with its stable code.
type APIError struct {
	Endpoint string
	Status   int
	Code     string
	Message  string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s: HTTP %d %s: %s", e.Endpoint, e.Status, e.Code, e.Message)
}

type verifyReq struct {
	Code    string   `json:"code"`
	Accept  []string `json:"accept,omitempty"`
	Padding string   `json:"padding,omitempty"`
}

type verifyResp struct {
	TestType    string `json:"testtype"`
	SymptomDate string `json:"symptomDate"`
	TestDate    string `json:"testDate"`
	Token       string `json:"token"`
	Error       string `json:"error"`
	ErrorCode   string `json:"errorCode"`
}

type certReq struct {
	Token    string `json:"token"`
	EKeyHMAC string `json:"ekeyhmac"`
	Padding  string `json:"padding,omitempty"`
}

type certResp struct {
	Certificate string `json:"certificate"`
	Error       string `json:"error"`
	ErrorCode   string `json:"errorCode"`
}

type publishKey struct {
	Key              string `json:"key"`
	RollingStart     int32  `json:"rollingStartNumber"`
	RollingPeriod    int32  `json:"rollingPeriod"`
	TransmissionRisk int    `json:"transmissionRisk,omitempty"`
}

type publishReq struct {
	Keys                []publishKey `json:"temporaryExposureKeys"`
	HealthAuthorityID   string       `json:"healthAuthorityID"`
	VerificationPayload string       `json:"verificationPayload,omitempty"`
	HMACKey             string       `json:"hmacKey,omitempty"`
	Traveler            bool         `json:"traveler,omitempty"`
	RevisionToken       string       `json:"revisionToken"`
	Padding             string       `json:"padding"`
}

type publishResp struct {
	RevisionToken     string   `json:"revisionToken"`
	InsertedExposures int      `json:"insertedExposures"`
	Error             string   `json:"error"`
	Code              string   `json:"code"`
	Warnings          []string `json:"warnings"`
}

// Report shares the device's keys of the last 14 days after a health
// worker gave the user code. consent must be true: it records that the user
// explicitly agreed, after being told what is shared; without it nothing at
// all is sent. The device trades the code for a token (POST /api/verify),
// the token and the HMAC of its keys under a fresh random 32-byte key for a
// certificate (POST /api/certificate), and publishes the keys with the
// certificate (POST /v1/publish). Today's key is released early (its rolling
// period ends now) and a fresh key is used from the next interval on. The
// server's revision token is kept for later revisions.
func (d *Device) Report(ctx context.Context, code string, consent bool) (*ReportResult, error) {
	if !consent {
		return nil, ErrNoConsent
	}
	code = strings.TrimSpace(code)
	if code == "" {
		return nil, errors.New("report: empty code")
	}
	d.mu.Lock()
	cfg := d.st.Config
	revTok := d.st.RevisionToken
	d.mu.Unlock()
	base := strings.TrimRight(cfg.ServerURL, "/")

	accept := []string{"confirmed", "likely", "contact"}
	if revTok != "" {
		accept = append(accept, "negative")
	}
	var vr verifyResp
	if err := d.post(ctx, base+"/api/verify", cfg.APIKey, false, verifyReq{Code: code, Accept: accept, Padding: d.padding()}, &vr); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if vr.Token == "" {
		return nil, errors.New("report: verify: the server returned no token")
	}

	d.mu.Lock()
	now := d.clock.Now()
	i := gaen.IntervalNumber(now)
	if _, err := d.tekForLocked(i); err != nil {
		d.mu.Unlock()
		return nil, err
	}
	teks := d.keysToPublishLocked(i)
	d.mu.Unlock()
	if len(teks) == 0 {
		return nil, errors.New("report: no keys to publish")
	}
	keys := make([]publishKey, len(teks))
	for j, k := range teks {
		keys[j] = publishKey{Key: base64.StdEncoding.EncodeToString(k.Key), RollingStart: int32(k.RollingStart), RollingPeriod: int32(k.RollingPeriod)}
	}
	hmacKey, err := randomBytes(d.rand, 32)
	if err != nil {
		return nil, fmt.Errorf("report: hmac key: %w", err)
	}
	var cr certResp
	if err := d.post(ctx, base+"/api/certificate", cfg.APIKey, false,
		certReq{Token: vr.Token, EKeyHMAC: base64.StdEncoding.EncodeToString(tekMAC(keys, hmacKey)), Padding: d.padding()}, &cr); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if cr.Certificate == "" {
		return nil, errors.New("report: certificate: the server returned no certificate")
	}
	var pr publishResp
	if err := d.post(ctx, base+"/v1/publish", "", false, publishReq{
		Keys: keys, HealthAuthorityID: cfg.HealthAuthorityID, VerificationPayload: cr.Certificate,
		HMACKey: base64.StdEncoding.EncodeToString(hmacKey), RevisionToken: revTok, Padding: d.padding(),
	}, &pr); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}

	d.mu.Lock()
	defer d.mu.Unlock()
	if pr.RevisionToken != "" {
		d.st.RevisionToken = pr.RevisionToken
	}
	d.st.Reports = append(d.st.Reports, reportLog{At: d.clock.Now(), ReportType: vr.TestType, Keys: len(keys)})
	if err := d.releaseLocked(teks, i); err != nil {
		return nil, err
	}
	return &ReportResult{TestType: vr.TestType, SymptomDate: vr.SymptomDate, Keys: len(keys), Inserted: pr.InsertedExposures,
		Warnings: strings.Join(pr.Warnings, "; ")}, nil
}

// tekMAC is the verification protocol's HMAC-SHA256 over the keys (gaen.md
// §D): each "base64(key).rollingStart.rollingPeriod.transmissionRisk",
// sorted by the base64 key, joined by ",".
func tekMAC(keys []publishKey, secret []byte) []byte {
	parts := make([]string, len(keys))
	sorted := append([]publishKey(nil), keys...)
	sort.Slice(sorted, func(a, b int) bool { return sorted[a].Key < sorted[b].Key })
	for j, k := range sorted {
		parts[j] = k.Key + "." + strconv.Itoa(int(k.RollingStart)) + "." + strconv.Itoa(int(k.RollingPeriod)) + "." + strconv.Itoa(k.TransmissionRisk)
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(strings.Join(parts, ",")))
	return m.Sum(nil)
}

// padding returns 1–2 KB of random base64 for a request's padding field,
// so request sizes say little about their content.
func (d *Device) padding() string {
	n := 1024 + d.randIntn(1024)
	b, err := randomBytes(d.rand, n*3/4)
	if err != nil {
		return ""
	}
	return base64.StdEncoding.EncodeToString(b)
}

func (d *Device) randIntn(n int) int {
	v, err := randInt(d.rand, n)
	if err != nil {
		return 0
	}
	return v
}

func randInt(r io.Reader, n int) (int, error) {
	b, err := randomBytes(r, 8)
	if err != nil {
		return 0, err
	}
	v := new(big.Int).SetBytes(b)
	return int(v.Mod(v, big.NewInt(int64(n))).Int64()), nil
}

// randFloat returns a uniform float in [0, 1).
func (d *Device) randFloat() float64 {
	return float64(d.randIntn(1<<30)) / (1 << 30)
}

// post sends v as JSON and decodes the answer into out; a non-2xx answer
// becomes an *APIError with the server's code.
func (d *Device) post(ctx context.Context, url, apiKey string, chaff bool, v, out any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if apiKey != "" {
		req.Header.Set("X-API-Key", apiKey)
	}
	if chaff {
		req.Header.Set("X-Chaff", "1")
	}
	resp, err := d.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", endpoint(url), err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("%s: %w", endpoint(url), err)
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error     string `json:"error"`
			ErrorCode string `json:"errorCode"`
			Code      string `json:"code"`
			Message   string `json:"message"`
		}
		_ = json.Unmarshal(data, &e)
		ae := &APIError{Endpoint: endpoint(url), Status: resp.StatusCode, Code: e.ErrorCode, Message: e.Error}
		if ae.Code == "" {
			ae.Code = e.Code
		}
		if ae.Message == "" {
			ae.Message = e.Message
		}
		if ae.Code == "" && ae.Message == "" {
			ae.Message = strings.TrimSpace(string(data[:min(len(data), 200)]))
		}
		return ae
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s: decode answer: %w", endpoint(url), err)
		}
	}
	return nil
}

func endpoint(url string) string {
	if i := strings.Index(url, "://"); i >= 0 {
		url = url[i+3:]
	}
	if i := strings.Index(url, "/"); i >= 0 {
		return url[i:]
	}
	return url
}

// SendChaff sends one chaff round — verify, certificate and publish
// requests with the X-Chaff header and plausible random content — so an
// observer of the network cannot tell real reports from noise. The server
// answers chaff without storing anything.
func (d *Device) SendChaff(ctx context.Context) error {
	d.mu.Lock()
	cfg := d.st.Config
	d.mu.Unlock()
	base := strings.TrimRight(cfg.ServerURL, "/")
	fake := func(n int) string { b, _ := randomBytes(d.rand, n); return base64.StdEncoding.EncodeToString(b) }
	code := strconv.Itoa(10000000 + d.randIntn(89999999))
	var errs []error
	errs = append(errs, d.post(ctx, base+"/api/verify", cfg.APIKey, true, verifyReq{Code: code, Padding: d.padding()}, nil))
	errs = append(errs, d.post(ctx, base+"/api/certificate", cfg.APIKey, true, certReq{Token: fake(180), EKeyHMAC: fake(32), Padding: d.padding()}, nil))
	i := gaen.IntervalNumber(d.clock.Now())
	keys := make([]publishKey, 14)
	for j := range keys {
		keys[j] = publishKey{Key: fake(16), RollingStart: int32(gaen.AlignRollingStart(i) - uint32(j+1)*gaen.TEKRollingPeriod), RollingPeriod: gaen.TEKRollingPeriod}
	}
	errs = append(errs, d.post(ctx, base+"/v1/publish", "", true, publishReq{Keys: keys, HealthAuthorityID: cfg.HealthAuthorityID,
		VerificationPayload: fake(400), HMACKey: fake(32), Padding: d.padding()}, nil))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("chaff: %w", err)
	}
	return nil
}

// nextChaffAfter draws the time of the next chaff round: exponentially
// distributed with the configured mean, so chaff forms a Poisson process.
func (d *Device) nextChaffAfter(now time.Time, meanHours float64) time.Time {
	u := d.randFloat()
	h := -math.Log(1-u) * meanHours
	return now.Add(time.Duration(h * float64(time.Hour)))
}
