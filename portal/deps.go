package portal

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// ErrInvalidInput marks an error from a collaborator (Codes, Deployment)
// whose message is safe and useful to show to staff, such as "staff must be
// ≥ installed". Adapters wrap such errors with it; other errors are shown as
// a generic failure and logged.
var ErrInvalidInput = errors.New("invalid input")

// Codes is what the portal needs from the verification service. Package app
// adapts *verification.Server to it.
type Codes interface {
	// IssueCode issues a code in realm (a province code).
	IssueCode(ctx context.Context, realm string, req CodeRequest) (IssuedCode, error)
	// CodeStatus tells whether the code named by uuid was claimed.
	CodeStatus(ctx context.Context, realm, uuid string) (CodeState, error)
	// ExpireCode ends an unclaimed code's life now.
	ExpireCode(ctx context.Context, realm, uuid string) error
	// Stats returns the realm's codes issued and claimed per UTC day from
	// fromDay to toDay inclusive ("" realm = all realms), days with activity
	// only. They include codes issued outside the portal (admin API).
	Stats(ctx context.Context, realm string, fromDay, toDay time.Time) ([]CodeDayStats, error)
}

// CodeRequest asks for a code. TestType is confirmed, likely or contact;
// dates are YYYY-MM-DD in Vietnam's time or empty.
type CodeRequest struct {
	TestType    string
	SymptomDate string
	TestDate    string
	// TZOffsetMinutes is Vietnam's offset east of UTC, 420.
	TZOffsetMinutes int
}

// IssuedCode is a freshly issued code. The portal shows it once and keeps
// only UUID.
type IssuedCode struct {
	UUID          string
	Code          string // 8 digits
	ExpiresAt     time.Time
	LongCode      string // 16 characters, for links and SMS
	LongExpiresAt time.Time
}

// CodeState is what the verification service says about an issued code.
type CodeState struct {
	Claimed bool
	// Expired is true once neither the short nor the long code can be
	// claimed any more (their time passed, or ExpireCode ended them).
	Expired bool
}

// CodeDayStats are one UTC day's counts from the verification service.
type CodeDayStats struct {
	Day          time.Time // UTC midnight
	CodesIssued  int64
	CodesClaimed int64
}

// KeyCounts reports the diagnosis keys published with certificates of each
// realm, per day. It is optional: the key server may not expose it.
type KeyCounts interface {
	// KeysPublished returns the keys published per realm and day (YYYY-MM-DD,
	// Vietnam's time) for the days from..to inclusive; days without keys may
	// be left out.
	KeysPublished(ctx context.Context, from, to string) ([]KeyDayCount, error)
}

// KeyDayCount is one realm's published keys on one day.
type KeyDayCount struct {
	Realm string
	Day   string
	Keys  int64
}

// Deployment is what campaign officers manage through the portal: agencies,
// campaigns with deadlines, units' reports and targets. Package app adapts
// *installs.Server to it. realm is the acting user's realm ("VN" or a
// province code); implementations refuse actions outside it.
type Deployment interface {
	Agencies(ctx context.Context, province string) ([]Agency, error)
	AddAgency(ctx context.Context, province, name, realm string) (Agency, error)
	Campaigns(ctx context.Context, province string) ([]Campaign, error)
	AddCampaign(ctx context.Context, c Campaign, realm string) (Campaign, error)
	SubmitReport(ctx context.Context, r UnitReport, realm string) error
	// Summary is the province's deployment status in a campaign on a day
	// (YYYY-MM-DD); campaignID 0 picks the current campaign.
	Summary(ctx context.Context, province string, campaignID int64, day string) (DeploymentSummary, error)
	SetTarget(ctx context.Context, t Target, realm string) error
}

// Agency is a unit that reports its staff's installs.
type Agency struct {
	ID       int64
	Province string
	Name     string
}

// Campaign is a deployment campaign; Province "VN" applies to every
// province. Dates are YYYY-MM-DD; GuidanceDue may be empty.
type Campaign struct {
	ID          int64
	Province    string
	Name        string
	Start       string
	GuidanceDue string
	ReportsDue  string
}

// UnitReport is one agency's report in a campaign on Date (YYYY-MM-DD).
type UnitReport struct {
	CampaignID int64
	AgencyID   int64
	Date       string
	Staff      int64
	Installed  int64
}

// DeploymentSummary is a province's deployment status in one campaign.
type DeploymentSummary struct {
	Campaign       *Campaign
	Units          []UnitStatus
	TotalStaff     int64
	TotalInstalled int64
	Rate           float64
	Reported       int
	Late           int
}

// UnitStatus is one agency's latest report in a campaign.
type UnitStatus struct {
	AgencyID  int64
	Name      string
	Reported  bool
	Late      bool
	Staff     int64
	Installed int64
	Rate      float64
	Date      string
}

// Target is an install rate (0 < Rate ≤ 1) of a denominator kind
// ("population", "adults", "smartphones") to reach by Date, for Scope "VN"
// or a province.
type Target struct {
	Scope           string
	Rate            float64
	DenominatorKind string
	Date            string
}

// SMS sends a text message. The number is used for this one call only; an
// implementation must not store or log it.
type SMS interface {
	Send(ctx context.Context, phone, text string) error
}

// LogSMS is the default SMS provider: it sends nothing and logs only that a
// message went to a number ending in the last two digits.
type LogSMS struct{ Logger *slog.Logger }

// Send logs "SMS sent to a number ending in NN".
func (l LogSMS) Send(ctx context.Context, phone, text string) error {
	tail := phone
	if len(tail) > 2 {
		tail = tail[len(tail)-2:]
	}
	l.Logger.InfoContext(ctx, "SMS sent to a number ending in "+tail)
	return nil
}
