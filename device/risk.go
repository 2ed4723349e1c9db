package device

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// RiskConfig is a daily-summary risk configuration in the shape of the
// Exposure Notification v2 DailySummariesConfig and DiagnosisKeysDataMapping
// (gaen.md §F), plus the two thresholds that turn daily scores into F1 and F2
// warnings. Load one from JSON with ParseRiskConfig; DefaultRiskConfig is
// Vietnam's close-contact rule. docs/risk-config.md explains the numbers.
//
// Scoring: each scan instance of an exposure window falls in an attenuation
// bucket by its typical attenuation (immediate ≤ T0 < near ≤ T1 < medium ≤
// T2 < other); a window's weighted duration is Σ seconds × bucket weight;
// its score is report-type weight × infectiousness weight × weighted
// duration; windows scoring below MinimumWindowScore are dropped; a day's
// score is the sum of its windows' scores. With all weights 1 the score is
// seconds, so 15 minutes = 900.
type RiskConfig struct {
	// AttenuationThresholdsDb are the upper bounds, in dB, of the
	// immediate, near and medium buckets (ascending, 0–255).
	AttenuationThresholdsDb [3]int `json:"attenuationThresholdsDb"`
	// AttenuationWeights weigh the immediate, near, medium and other
	// buckets (0–2.5).
	AttenuationWeights [4]float64 `json:"attenuationWeights"`
	// InfectiousnessByDaysSinceOnset maps days since symptom onset
	// (-14..14, as strings) to "none", "standard" or "high"; days not
	// listed are "none" (windows with infectiousness none are dropped).
	InfectiousnessByDaysSinceOnset map[string]string `json:"infectiousnessByDaysSinceOnset"`
	// InfectiousnessWhenOnsetMissing applies to keys without days since
	// onset.
	InfectiousnessWhenOnsetMissing string `json:"infectiousnessWhenOnsetMissing"`
	// InfectiousnessWeights weigh "standard" and "high" (0–2.5).
	InfectiousnessWeights map[string]float64 `json:"infectiousnessWeights"`
	// ReportTypeWeights weigh "confirmedTest", "confirmedClinicalDiagnosis",
	// "selfReport" and "recursive" (0–2.5; missing means 0).
	ReportTypeWeights map[string]float64 `json:"reportTypeWeights"`
	// ReportTypeWhenMissing is the report type assumed for keys exported
	// without one.
	ReportTypeWhenMissing string `json:"reportTypeWhenMissing"`
	// MinimumWindowScore drops windows scoring below it.
	MinimumWindowScore float64 `json:"minimumWindowScore"`
	// DaysSinceExposureThreshold ignores exposures older than this many
	// days.
	DaysSinceExposureThreshold int `json:"daysSinceExposureThreshold"`
	// F1MinimumDailyScore: a day whose summed score over confirmed and
	// clinically diagnosed (and self-reported) cases reaches it is an F1
	// exposure.
	F1MinimumDailyScore float64 `json:"f1MinimumDailyScore"`
	// F2MinimumDailyScore: the same over RECURSIVE reports (F1s authorised
	// to warn their contacts) makes an F2 exposure.
	F2MinimumDailyScore float64 `json:"f2MinimumDailyScore"`
	// ScanGapCapSeconds caps the seconds a scan instance stands for;
	// ScanGapDefaultSeconds is used when the previous scan is unknown.
	ScanGapCapSeconds     int `json:"scanGapCapSeconds"`
	ScanGapDefaultSeconds int `json:"scanGapDefaultSeconds"`
}

// Infectiousness levels and report-type names used in RiskConfig.
const (
	InfectiousnessNone     = "none"
	InfectiousnessStandard = "standard"
	InfectiousnessHigh     = "high"

	ReportConfirmedTest   = "confirmedTest"
	ReportConfirmedClinic = "confirmedClinicalDiagnosis"
	ReportSelfReport      = "selfReport"
	ReportRecursive       = "recursive"
)

// Attenuation bucket names, nearest first.
var bucketNames = [4]string{"immediate", "near", "medium", "other"}

// DefaultRiskConfig returns Vietnam's rule "closer than about 2 m for 15
// minutes or more in a day" (docs/risk-config.md): scan time at up to 55 dB
// of typical attenuation counts fully (immediate ≤ 48 dB ≈ 1.4 m, near ≤ 55
// dB ≈ 3 m, whose lower half is the ~2 m of the rule plus the noise margin),
// farther time does not count; infectiousness follows the Exposure
// Notifications Express default map (2 days before to 10 days after onset,
// both levels weighted alike); a day scoring 900 (15 min) makes an F1 or F2.
func DefaultRiskConfig() *RiskConfig {
	inf := map[string]string{}
	for d := -3; d <= 10; d++ {
		v := InfectiousnessStandard
		if d >= -1 && d <= 3 {
			v = InfectiousnessHigh
		}
		inf[strconv.Itoa(d)] = v
	}
	return &RiskConfig{
		AttenuationThresholdsDb:        [3]int{48, 55, 63},
		AttenuationWeights:             [4]float64{1, 1, 0, 0},
		InfectiousnessByDaysSinceOnset: inf,
		InfectiousnessWhenOnsetMissing: InfectiousnessStandard,
		InfectiousnessWeights:          map[string]float64{InfectiousnessStandard: 1, InfectiousnessHigh: 1},
		ReportTypeWeights: map[string]float64{
			ReportConfirmedTest: 1, ReportConfirmedClinic: 1, ReportSelfReport: 0, ReportRecursive: 1,
		},
		ReportTypeWhenMissing:      ReportConfirmedTest,
		MinimumWindowScore:         0,
		DaysSinceExposureThreshold: 14,
		F1MinimumDailyScore:        900,
		F2MinimumDailyScore:        900,
		ScanGapCapSeconds:          300,
		ScanGapDefaultSeconds:      120,
	}
}

// ParseRiskConfig decodes a RiskConfig from JSON (unknown fields are
// errors; omitted fields take DefaultRiskConfig's values) and validates it.
func ParseRiskConfig(data []byte) (*RiskConfig, error) {
	c := DefaultRiskConfig()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		return nil, fmt.Errorf("risk config: %w", err)
	}
	if dec.More() {
		return nil, errors.New("risk config: trailing data after the JSON object")
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// JSON returns the configuration as indented JSON.
func (c *RiskConfig) JSON() string {
	b, _ := json.MarshalIndent(c, "", "  ")
	return string(b)
}

// Validate checks ranges and names.
func (c *RiskConfig) Validate() error {
	var errs []error
	t := c.AttenuationThresholdsDb
	if t[0] < 0 || t[2] > 255 || t[0] > t[1] || t[1] > t[2] {
		errs = append(errs, fmt.Errorf("attenuationThresholdsDb %v: need 0 ≤ t0 ≤ t1 ≤ t2 ≤ 255", t))
	}
	weight := func(name string, w float64) {
		if w < 0 || w > 2.5 {
			errs = append(errs, fmt.Errorf("%s weight %v: must be 0..2.5", name, w))
		}
	}
	for i, w := range c.AttenuationWeights {
		weight(bucketNames[i], w)
	}
	for d, v := range c.InfectiousnessByDaysSinceOnset {
		n, err := strconv.Atoi(d)
		if err != nil || n < -14 || n > 14 {
			errs = append(errs, fmt.Errorf("infectiousnessByDaysSinceOnset: key %q is not a day in -14..14", d))
		}
		if !validInfectiousness(v) {
			errs = append(errs, fmt.Errorf("infectiousnessByDaysSinceOnset[%s] = %q: want none, standard or high", d, v))
		}
	}
	if !validInfectiousness(c.InfectiousnessWhenOnsetMissing) {
		errs = append(errs, fmt.Errorf("infectiousnessWhenOnsetMissing %q: want none, standard or high", c.InfectiousnessWhenOnsetMissing))
	}
	for k, w := range c.InfectiousnessWeights {
		if k != InfectiousnessStandard && k != InfectiousnessHigh {
			errs = append(errs, fmt.Errorf("infectiousnessWeights: unknown level %q", k))
		}
		weight(k, w)
	}
	for k, w := range c.ReportTypeWeights {
		if reportTypeFromName(k) == 0 {
			errs = append(errs, fmt.Errorf("reportTypeWeights: unknown report type %q", k))
		}
		weight(k, w)
	}
	if reportTypeFromName(c.ReportTypeWhenMissing) == 0 {
		errs = append(errs, fmt.Errorf("reportTypeWhenMissing %q: unknown report type", c.ReportTypeWhenMissing))
	}
	if c.MinimumWindowScore < 0 {
		errs = append(errs, errors.New("minimumWindowScore must be ≥ 0"))
	}
	if c.DaysSinceExposureThreshold < 1 || c.DaysSinceExposureThreshold > 14 {
		errs = append(errs, fmt.Errorf("daysSinceExposureThreshold %d: must be 1..14", c.DaysSinceExposureThreshold))
	}
	if c.F1MinimumDailyScore <= 0 || c.F2MinimumDailyScore <= 0 {
		errs = append(errs, errors.New("f1MinimumDailyScore and f2MinimumDailyScore must be > 0"))
	}
	if c.ScanGapCapSeconds < 1 || c.ScanGapCapSeconds > 3600 || c.ScanGapDefaultSeconds < 1 || c.ScanGapDefaultSeconds > c.ScanGapCapSeconds {
		errs = append(errs, errors.New("scan gap seconds: need 1 ≤ default ≤ cap ≤ 3600"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("risk config: %w", errors.Join(errs...))
	}
	return nil
}

func validInfectiousness(v string) bool {
	return v == InfectiousnessNone || v == InfectiousnessStandard || v == InfectiousnessHigh
}

// reportTypeFromName maps a RiskConfig report-type name to the export enum
// value (1 confirmed, 2 clinical, 3 self-report, 4 recursive), 0 if unknown.
func reportTypeFromName(n string) int32 {
	switch n {
	case ReportConfirmedTest:
		return 1
	case ReportConfirmedClinic:
		return 2
	case ReportSelfReport:
		return 3
	case ReportRecursive:
		return 4
	}
	return 0
}

func reportTypeName(rt int32) string {
	switch rt {
	case 1:
		return ReportConfirmedTest
	case 2:
		return ReportConfirmedClinic
	case 3:
		return ReportSelfReport
	case 4:
		return ReportRecursive
	}
	return ""
}

// bucket returns the attenuation bucket (0 immediate … 3 other) of att.
func (c *RiskConfig) bucket(att int) int {
	for i, t := range c.AttenuationThresholdsDb {
		if att <= t {
			return i
		}
	}
	return 3
}

// infectiousness returns the level of a key with the given days since onset.
func (c *RiskConfig) infectiousness(dsos int32, has bool) string {
	if !has {
		return c.InfectiousnessWhenOnsetMissing
	}
	if v, ok := c.InfectiousnessByDaysSinceOnset[strconv.Itoa(int(dsos))]; ok {
		return v
	}
	return InfectiousnessNone
}
