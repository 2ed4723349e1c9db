package verification

// JSON shapes of the HTTP API. Field names follow the reference
// verification server (pkg/api/api.go); `realm` and `longCode` are ours.
// `padding` is accepted as any string and ignored on requests; responses
// carry 1–2 KiB of random base64.

type issueRequest struct {
	SymptomDate      string  `json:"symptomDate"`
	TestDate         string  `json:"testDate"`
	TestType         string  `json:"testType"`
	TZOffset         float64 `json:"tzOffset"` // minutes east of UTC
	Phone            string  `json:"phone"`    // refused: this API sends no SMS
	SMSTemplateLabel string  `json:"smsTemplateLabel"`
	UUID             string  `json:"uuid"`
	ExternalIssuerID string  `json:"externalIssuerID"`
	Realm            string  `json:"realm"` // national admin keys: the realm to act for
	Padding          string  `json:"padding"`
}

type issueResponse struct {
	UUID                   string `json:"uuid,omitempty"`
	Code                   string `json:"code,omitempty"`
	ExpiresAt              string `json:"expiresAt,omitempty"`
	ExpiresAtTimestamp     int64  `json:"expiresAtTimestamp,omitempty"`
	LongCode               string `json:"longCode,omitempty"`
	LongExpiresAt          string `json:"longExpiresAt,omitempty"`
	LongExpiresAtTimestamp int64  `json:"longExpiresAtTimestamp,omitempty"`
	Error                  string `json:"error,omitempty"`
	ErrorCode              string `json:"errorCode,omitempty"`
	Padding                string `json:"padding,omitempty"`
}

type batchIssueRequest struct {
	Codes   []*issueRequest `json:"codes"`
	Realm   string          `json:"realm"`
	Padding string          `json:"padding"`
}

type batchIssueResponse struct {
	Codes     []*issueResponse `json:"codes,omitempty"`
	Error     string           `json:"error,omitempty"`
	ErrorCode string           `json:"errorCode,omitempty"`
	Padding   string           `json:"padding"`
}

type codeStatusRequest struct {
	UUID    string `json:"uuid"`
	Realm   string `json:"realm"`
	Padding string `json:"padding"`
}

type checkCodeStatusResponse struct {
	Claimed                bool   `json:"claimed"`
	ExpiresAtTimestamp     int64  `json:"expiresAtTimestamp"`
	LongExpiresAtTimestamp int64  `json:"longExpiresAtTimestamp,omitempty"`
	Padding                string `json:"padding"`
}

type expireCodeResponse struct {
	ExpiresAtTimestamp     int64  `json:"expiresAtTimestamp"`
	LongExpiresAtTimestamp int64  `json:"longExpiresAtTimestamp,omitempty"`
	Padding                string `json:"padding"`
}

// VerifyRequest is the body of POST /api/verify. It is exported for the
// device library and fuzzing; servers decode it with DecodeVerifyRequest.
type VerifyRequest struct {
	Code    string   `json:"code"`
	Accept  []string `json:"accept,omitempty"`
	Nonce   string   `json:"nonce,omitempty"` // user-report only; ignored
	Padding string   `json:"padding,omitempty"`
}

// VerifyResponse is the body of a POST /api/verify answer.
type VerifyResponse struct {
	TestType    string `json:"testtype,omitempty"`
	SymptomDate string `json:"symptomDate,omitempty"`
	TestDate    string `json:"testDate,omitempty"`
	Token       string `json:"token,omitempty"`
	Error       string `json:"error,omitempty"`
	ErrorCode   string `json:"errorCode,omitempty"`
	Padding     string `json:"padding,omitempty"`
}

// CertificateRequest is the body of POST /api/certificate.
type CertificateRequest struct {
	Token    string `json:"token"`
	EKeyHMAC string `json:"ekeyhmac"`
	Padding  string `json:"padding,omitempty"`
}

// CertificateResponse is the body of a POST /api/certificate answer.
type CertificateResponse struct {
	Certificate string `json:"certificate,omitempty"`
	Error       string `json:"error,omitempty"`
	ErrorCode   string `json:"errorCode,omitempty"`
	Padding     string `json:"padding,omitempty"`
}
