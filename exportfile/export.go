// Package exportfile reads and writes Exposure Notification key export
// files: export.bin (a fixed 16-byte header followed by a
// TemporaryExposureKeyExport protobuf), export.sig (a TEKSignatureList with
// ECDSA P-256 / SHA-256 signatures over the whole export.bin), the zip that
// holds exactly those two entries, and the index.txt that lists the zips.
//
// The format is the one phones' Exposure Notification frameworks download
// (gaen.md §C, wire-compatible with google/exposure-notifications-server).
// The package is pure: it does no network or database I/O, keeps no state,
// and takes signing keys as crypto.Signer so they can live in a KMS. It is
// not the export worker (which decides what goes into which file) and not
// the matcher (which uses the parsed keys).
package exportfile

import (
	"fmt"
	"time"
)

// Header is the fixed ASCII header that starts every export.bin.
const Header = "EK Export v1    "

// HeaderLen is the length of Header in bytes.
const HeaderLen = len(Header)

// KeyLen is the length of a temporary exposure key in bytes.
const KeyLen = 16

// DefaultRollingPeriod is the rolling period of a full-day key, in
// 10-minute intervals. It is the protobuf default: a key without a
// rolling_period field has this period, and writers omit it.
const DefaultRollingPeriod = 144

// AlgorithmECDSAP256SHA256 is the ASN.1 OID of ECDSA with SHA-256, the
// signature_algorithm of every signature this package writes and accepts.
const AlgorithmECDSAP256SHA256 = "1.2.840.10045.4.3.2"

// Names of the two entries of an export zip.
const (
	BinName = "export.bin"
	SigName = "export.sig"
)

// ReportType says how a key's owner was diagnosed. Values and numbers are
// those of the protobuf enum TemporaryExposureKey.ReportType.
type ReportType int32

// Report types.
const (
	ReportTypeUnknown                    ReportType = 0
	ReportTypeConfirmedTest              ReportType = 1
	ReportTypeConfirmedClinicalDiagnosis ReportType = 2
	ReportTypeSelfReport                 ReportType = 3
	ReportTypeRecursive                  ReportType = 4
	ReportTypeRevoked                    ReportType = 5
)

var reportTypeNames = [...]string{"UNKNOWN", "CONFIRMED_TEST", "CONFIRMED_CLINICAL_DIAGNOSIS", "SELF_REPORT", "RECURSIVE", "REVOKED"}

// Valid reports whether r is one of the enum's values.
func (r ReportType) Valid() bool { return r >= 0 && int(r) < len(reportTypeNames) }

// String returns the protobuf name of r, for example "CONFIRMED_TEST".
func (r ReportType) String() string {
	if r.Valid() {
		return reportTypeNames[r]
	}
	return fmt.Sprintf("ReportType(%d)", int32(r))
}

// Variant is the protobuf enum TemporaryExposureKey.VariantOfConcern
// (0 = VARIANT_TYPE_UNKNOWN, 1–4 = VARIANT_TYPE_1…4).
type Variant int32

// Valid reports whether v is one of the enum's values.
func (v Variant) Valid() bool { return v >= 0 && v <= 4 }

// Key is one temporary exposure key of an export.
type Key struct {
	// Data is the 16-byte temporary exposure key.
	Data [KeyLen]byte
	// RollingStart is the first 10-minute interval number the key was
	// valid for.
	RollingStart int32
	// RollingPeriod is the number of intervals the key was valid for,
	// 1–144; parsing a key without the field gives DefaultRollingPeriod.
	RollingPeriod int32
	// TransmissionRisk is the deprecated transmission_risk_level.
	TransmissionRisk int32
	// ReportType says how the owner was diagnosed.
	ReportType ReportType
	// DaysSinceOnset is days_since_onset_of_symptoms; it is only
	// meaningful (and only written) when HasDaysSinceOnset is true.
	DaysSinceOnset    int32
	HasDaysSinceOnset bool
	// Variant is variant_of_concern; written only when not 0.
	Variant Variant
}

// SignatureInfo names the key that signed an export. Devices select their
// trusted public key by (KeyID, KeyVersion).
type SignatureInfo struct {
	KeyID      string // verification_key_id, [a-zA-Z0-9_]
	KeyVersion string // verification_key_version, [a-zA-Z0-9_], e.g. "v1"
	Algorithm  string // signature_algorithm, AlgorithmECDSAP256SHA256
}

// Export is the content of export.bin after its header.
type Export struct {
	// Start and End bound the server arrival times of the keys, to the
	// second (fixed64 UTC seconds on the wire).
	Start, End time.Time
	// Region is, for example, "VN" or an MCC.
	Region string
	// BatchNum (1-based) and BatchSize place the file in its batch.
	BatchNum, BatchSize int32
	// SignatureInfos lists the keys that signed the file. Parse fills it
	// from export.bin; Build ignores it and writes its signers' infos.
	SignatureInfos []SignatureInfo
	// Keys are the diagnosis keys.
	Keys []Key
	// RevisedKeys are keys published earlier whose report type changed,
	// for example to ReportTypeRevoked.
	RevisedKeys []Key
}

// Signature is one entry of export.sig.
type Signature struct {
	Info                SignatureInfo
	BatchNum, BatchSize int32
	// DER is the ECDSA signature, ASN.1 DER SEQUENCE{r, s}.
	DER []byte
}

// File is a parsed export zip.
type File struct {
	// Export is the parsed export.bin.
	Export *Export
	// Signatures are the parsed export.sig entries, in file order.
	Signatures []Signature
	// Bin is the raw export.bin, header included: the signed bytes.
	Bin []byte
}
