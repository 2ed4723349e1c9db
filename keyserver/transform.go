package keyserver

import (
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/bluezone-vn/bluezone/gaen"
)

// exposure is one key as it will be written to, or was read from, the
// exposures table.
type exposure struct {
	key              [KeyLength]byte
	rollingStart     int32
	rollingPeriod    int32
	transmissionRisk int
	reportType       string // certificate report type
	daysSinceOnset   *int32
	healthAuthority  string
	createdAt        int64 // unix seconds
}

// transformResult is a validated publish: the keys to store, the reasons
// individual keys were dropped (partial failure) and warnings.
type transformResult struct {
	exposures []exposure
	dropped   []string // per-key errors; non-empty means partial failure
	warnings  []string
}

// errRequest is a whole-request validation failure (HTTP 400 bad_request);
// its message is safe to return.
type errRequest struct{ msg string }

func (e *errRequest) Error() string { return e.msg }

func requestErrorf(format string, args ...any) error {
	return &errRequest{msg: fmt.Sprintf(format, args...)}
}

// reportTypeTR is the transmission risk given to a key that arrives with
// none (0), by report type (CONTRACTS.md; the reference's backfill plus
// "contact").
func reportTypeTR(reportType string, tr int) int {
	if tr != 0 {
		return tr
	}
	switch reportType {
	case ReportTypeConfirmed:
		return 2
	case ReportTypeLikely, ReportTypeContact:
		return 4
	case ReportTypeNegative:
		return 6
	}
	return 0
}

// exportReportType maps a certificate report type to the export enum value
// stored in the exposures table.
func exportReportType(reportType string) int {
	switch reportType {
	case ReportTypeConfirmed:
		return ExportConfirmedTest
	case ReportTypeLikely:
		return ExportClinical
	case ReportTypeContact:
		return ExportRecursive
	case ReportTypeNegative:
		return ExportRevoked
	}
	return 0
}

// reportTypeFromExport is the inverse of exportReportType.
func reportTypeFromExport(v int) string {
	switch v {
	case ExportConfirmedTest:
		return ReportTypeConfirmed
	case ExportClinical:
		return ReportTypeLikely
	case ExportRecursive:
		return ReportTypeContact
	case ExportRevoked:
		return ReportTypeNegative
	}
	return ""
}

func intervalOf(t time.Time) int32 { return int32(gaen.IntervalNumber(t)) }

func intervalTime(n int32) time.Time { return time.Unix(int64(n)*gaen.IntervalSeconds, 0).UTC() }

// daysBetween is the number of whole UTC days from the day of interval a to
// the day of interval b (negative when b is earlier).
func daysBetween(a, b int32) int32 {
	da := int64(a) / gaen.TEKRollingPeriod
	db := int64(b) / gaen.TEKRollingPeriod
	return int32(db - da)
}

func abs32(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}

// transform validates req's keys at time now with the certificate's claims
// and turns them into rows, following the reference server's rules (see
// docs/security.md "Publish API"). A whole-request failure is an
// *errRequest; per-key failures drop the key and are listed in dropped.
func (s *Server) transform(req *PublishRequest, vc *verifiedClaims, now time.Time) (*transformResult, error) {
	cfg := &s.cfg
	if len(req.Keys) == 0 {
		return nil, requestErrorf("no exposure keys in publish request")
	}
	if len(req.Keys) > cfg.MaxKeysOnPublish {
		return nil, requestErrorf("too many exposure keys in publish: %d, max of %d is allowed", len(req.Keys), cfg.MaxKeysOnPublish)
	}
	current := intervalOf(now)
	minStart := intervalOf(now.Add(-cfg.MaxIntervalAge))
	hour := cfg.TruncateWindow
	defaultCreated := now.Truncate(hour).Unix()

	// Symptom onset: the request's, else the certificate's, else a default
	// some days ago; only onsets within MaxSymptomOnsetReportDays are taken.
	minOnset := int32(gaen.RollingStart(now.AddDate(0, 0, -cfg.MaxSymptomOnsetReportDays)))
	onset := int32(0)
	if v := req.SymptomOnsetInterval; v >= minOnset && v < current {
		onset = v
	} else if vc != nil {
		if v := int32(vc.symptomOnsetInterval); v >= minOnset && v < current {
			onset = v
		}
	}
	if onset == 0 || abs32(daysBetween(onset, current)) > int32(cfg.MaxSymptomOnsetReportDays) {
		onset = intervalOf(now.AddDate(0, 0, -cfg.DefaultSymptomOnsetDaysAgo))
	}
	onset -= onset % gaen.TEKRollingPeriod // rounded down to the UTC day

	res := &transformResult{exposures: make([]exposure, 0, len(req.Keys))}
	seen := make(map[[KeyLength]byte]bool, len(req.Keys))
	for i, k := range req.Keys {
		e, err := s.transformKey(k, minStart, current, defaultCreated)
		if err != nil {
			res.dropped = append(res.dropped, fmt.Sprintf("key %d cannot be imported: %v", i, err))
			continue
		}
		if seen[e.key] {
			return nil, requestErrorf("key %d is a duplicate of an earlier key in the request", i)
		}
		seen[e.key] = true
		e.reportType = vc.reportType
		e.healthAuthority = vc.issuer
		e.transmissionRisk = reportTypeTR(vc.reportType, e.transmissionRisk)
		dsos := daysBetween(onset, e.rollingStart)
		if abs32(dsos) > int32(cfg.MaxSymptomOnsetDays) {
			res.warnings = append(res.warnings, fmt.Sprintf("key %d symptom onset is too large, %d > %d - saving without this key", i, abs32(dsos), cfg.MaxSymptomOnsetDays))
			continue
		}
		e.daysSinceOnset = &dsos
		res.exposures = append(res.exposures, e)
	}
	if len(res.exposures) == 0 {
		if len(res.dropped) > 0 {
			return nil, requestErrorf("%s", strings.Join(res.dropped, "; "))
		}
		return res, nil
	}

	// Overlapping keys must share a start interval, and at most
	// MaxSameStartIntervalKeys may share one.
	sorted := make([]exposure, len(res.exposures))
	copy(sorted, res.exposures)
	sort.Slice(sorted, func(i, j int) bool {
		if sorted[i].rollingStart == sorted[j].rollingStart {
			return sorted[i].rollingPeriod < sorted[j].rollingPeriod
		}
		return sorted[i].rollingStart < sorted[j].rollingStart
	})
	last := sorted[0].rollingStart
	next := last + sorted[0].rollingPeriod
	count := 0
	for _, e := range sorted {
		if e.rollingStart == last {
			count++
			if count > cfg.MaxSameStartIntervalKeys {
				return nil, requestErrorf("too many overlapping keys for start interval: %d want: <= %d", e.rollingStart, cfg.MaxSameStartIntervalKeys)
			}
			next = e.rollingStart + e.rollingPeriod
			continue
		}
		if e.rollingStart < next {
			return nil, requestErrorf("exposure keys have non aligned overlapping intervals: %d overlaps with previous key that is good from %d to %d", e.rollingStart, last, next)
		}
		last, next, count = e.rollingStart, e.rollingStart+e.rollingPeriod, 1
	}
	return res, nil
}

var errKeyLength = errors.New("invalid key length")

// transformKey checks one key: base64, length, rolling period, age, start
// not in the future, transmission risk; and embargoes a still-valid key by
// moving its created_at past its expiry.
func (s *Server) transformKey(k ExposureKey, minStart, current int32, created int64) (exposure, error) {
	var e exposure
	raw, err := base64.StdEncoding.DecodeString(k.Key)
	if err != nil {
		return e, errors.New("key is not valid base64")
	}
	if len(raw) != KeyLength {
		return e, fmt.Errorf("%w, %d, must be %d", errKeyLength, len(raw), KeyLength)
	}
	copy(e.key[:], raw)
	if k.IntervalCount < 1 || k.IntervalCount > MaxRollingPeriod {
		return e, fmt.Errorf("invalid interval count, %d, must be >= 1 && <= %d", k.IntervalCount, MaxRollingPeriod)
	}
	end := int64(k.IntervalNumber) + int64(k.IntervalCount)
	if end <= int64(minStart) {
		return e, fmt.Errorf("key expires before minimum window; %d + %d = %d which is too old, must be >= %d", k.IntervalNumber, k.IntervalCount, end, minStart)
	}
	if k.IntervalNumber > current {
		return e, fmt.Errorf("interval number %d is in the future, must be <= %d", k.IntervalNumber, current)
	}
	if k.TransmissionRisk < 0 || k.TransmissionRisk > MaxTransmissionRisk {
		return e, fmt.Errorf("invalid transmission risk: %d, must be >= 0 && <= %d", k.TransmissionRisk, MaxTransmissionRisk)
	}
	e.rollingStart = k.IntervalNumber
	e.rollingPeriod = k.IntervalCount
	e.transmissionRisk = k.TransmissionRisk
	e.createdAt = created
	if end > int64(current) {
		// Still valid: not exportable until after it expires.
		w := s.cfg.TruncateWindow
		e.createdAt = intervalTime(int32(end)).Add(w).Truncate(w).Unix()
	}
	return e, nil
}
