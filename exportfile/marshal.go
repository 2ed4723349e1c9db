package exportfile

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

// Field numbers of export.proto (see pb/export.proto).
const (
	fExportStart       = 1
	fExportEnd         = 2
	fExportRegion      = 3
	fExportBatchNum    = 4
	fExportBatchSize   = 5
	fExportSigInfos    = 6
	fExportKeys        = 7
	fExportRevisedKeys = 8

	fInfoKeyVersion = 3
	fInfoKeyID      = 4
	fInfoAlgorithm  = 5

	fKeyData           = 1
	fKeyTransmission   = 2
	fKeyRollingStart   = 3
	fKeyRollingPeriod  = 4
	fKeyReportType     = 5
	fKeyDaysSinceOnset = 6
	fKeyVariant        = 8

	fSigListSignatures = 1

	fSigInfo      = 1
	fSigBatchNum  = 2
	fSigBatchSize = 3
	fSigSignature = 4
)

// Signer is one signing key of an export: the key itself, behind
// crypto.Signer so it may live in a KMS, and the info that names it.
type Signer struct {
	// Info names the key. An empty Algorithm means
	// AlgorithmECDSAP256SHA256, the only one supported.
	Info SignatureInfo
	// Signer must hold an ECDSA P-256 key and return ASN.1 DER signatures,
	// as *ecdsa.PrivateKey does.
	Signer crypto.Signer
}

// Build marshals e into export.bin with the signers' infos as its
// signature_infos, signs it with every signer (several signers serve key
// rotation; list the newest first), and returns the zip holding export.bin
// and export.sig, with the default ZipOptions. e.SignatureInfos is ignored.
func Build(e *Export, signers ...Signer) ([]byte, error) { return ZipOptions{}.Build(e, signers...) }

// Build is Build with these zip options.
func (o ZipOptions) Build(e *Export, signers ...Signer) ([]byte, error) {
	bin, sig, err := BuildBinSig(e, signers...)
	if err != nil {
		return nil, err
	}
	return o.MarshalZip(bin, sig)
}

// BuildBinSig is Build without the zip: it returns export.bin and
// export.sig.
func BuildBinSig(e *Export, signers ...Signer) (bin, sig []byte, err error) {
	if len(signers) == 0 {
		return nil, nil, errors.New("build export: no signer")
	}
	withInfos := *e
	withInfos.SignatureInfos = make([]SignatureInfo, len(signers))
	for i := range signers {
		withInfos.SignatureInfos[i] = signers[i].Info
		if withInfos.SignatureInfos[i].Algorithm == "" {
			withInfos.SignatureInfos[i].Algorithm = AlgorithmECDSAP256SHA256
		}
	}
	bin, err = MarshalBin(&withInfos)
	if err != nil {
		return nil, nil, err
	}
	sig, err = Sign(bin, e.BatchNum, e.BatchSize, signers...)
	if err != nil {
		return nil, nil, err
	}
	return bin, sig, nil
}

// Sign returns export.sig for the given export.bin: one ECDSA P-256
// signature over SHA-256 of all of bin per signer, in signer order.
func Sign(bin []byte, batchNum, batchSize int32, signers ...Signer) ([]byte, error) {
	if len(signers) == 0 {
		return nil, errors.New("sign export: no signer")
	}
	digest := sha256.Sum256(bin)
	var out []byte
	for i, s := range signers {
		info := s.Info
		if info.Algorithm == "" {
			info.Algorithm = AlgorithmECDSAP256SHA256
		}
		if err := checkSigner(s.Signer, info); err != nil {
			return nil, fmt.Errorf("sign export: signer %d: %w", i, err)
		}
		der, err := s.Signer.Sign(rand.Reader, digest[:], crypto.SHA256)
		if err != nil {
			return nil, fmt.Errorf("sign export: signer %d (%s/%s): %w", i, info.KeyID, info.KeyVersion, err)
		}
		var m []byte
		m = appendInfo(m, fSigInfo, &info)
		m = protowire.AppendTag(m, fSigBatchNum, protowire.VarintType)
		m = protowire.AppendVarint(m, uint64(int64(batchNum)))
		m = protowire.AppendTag(m, fSigBatchSize, protowire.VarintType)
		m = protowire.AppendVarint(m, uint64(int64(batchSize)))
		m = protowire.AppendTag(m, fSigSignature, protowire.BytesType)
		m = protowire.AppendBytes(m, der)
		out = protowire.AppendTag(out, fSigListSignatures, protowire.BytesType)
		out = protowire.AppendBytes(out, m)
	}
	return out, nil
}

func checkSigner(s crypto.Signer, info SignatureInfo) error {
	if s == nil {
		return errors.New("nil crypto.Signer")
	}
	if err := info.validate(); err != nil {
		return err
	}
	pub, ok := s.Public().(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		return fmt.Errorf("key %s/%s is not an ECDSA P-256 key", info.KeyID, info.KeyVersion)
	}
	return nil
}

// validate checks the info of a signature this package writes.
func (info SignatureInfo) validate() error {
	for _, f := range []struct{ name, v string }{{"key id", info.KeyID}, {"key version", info.KeyVersion}} {
		if f.v == "" {
			return fmt.Errorf("signature info: empty %s", f.name)
		}
		if len(f.v) > 64 {
			return fmt.Errorf("signature info: %s longer than 64 characters", f.name)
		}
		for _, c := range []byte(f.v) {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
				return fmt.Errorf("signature info: %s %q: only [a-zA-Z0-9_] allowed", f.name, f.v)
			}
		}
	}
	if info.Algorithm != AlgorithmECDSAP256SHA256 {
		return fmt.Errorf("signature info: unsupported algorithm %q (want %s)", info.Algorithm, AlgorithmECDSAP256SHA256)
	}
	return nil
}

// MarshalBin returns export.bin for e: Header followed by the serialized
// TemporaryExposureKeyExport, fields in number order, as the reference
// writes it (rolling_period omitted when 144, report_type when UNKNOWN,
// variant_of_concern when 0). It validates e first.
func MarshalBin(e *Export) ([]byte, error) {
	if err := e.validate(); err != nil {
		return nil, fmt.Errorf("marshal export: %w", err)
	}
	size := HeaderLen + 2*9 + 2 + int32Size(e.BatchNum) + int32Size(e.BatchSize) + 1 + protowire.SizeBytes(len(e.Region))
	for i := range e.SignatureInfos {
		size += 1 + protowire.SizeBytes(infoSize(&e.SignatureInfos[i]))
	}
	for _, keys := range [][]Key{e.Keys, e.RevisedKeys} {
		for i := range keys {
			size += 1 + protowire.SizeBytes(keySize(&keys[i]))
		}
	}
	b := make([]byte, 0, size)
	b = append(b, Header...)
	b = protowire.AppendTag(b, fExportStart, protowire.Fixed64Type)
	b = protowire.AppendFixed64(b, uint64(e.Start.Unix()))
	b = protowire.AppendTag(b, fExportEnd, protowire.Fixed64Type)
	b = protowire.AppendFixed64(b, uint64(e.End.Unix()))
	b = protowire.AppendTag(b, fExportRegion, protowire.BytesType)
	b = protowire.AppendString(b, e.Region)
	b = protowire.AppendTag(b, fExportBatchNum, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(int64(e.BatchNum)))
	b = protowire.AppendTag(b, fExportBatchSize, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(int64(e.BatchSize)))
	for i := range e.SignatureInfos {
		b = appendInfo(b, fExportSigInfos, &e.SignatureInfos[i])
	}
	for i := range e.Keys {
		b = appendKey(b, fExportKeys, &e.Keys[i])
	}
	for i := range e.RevisedKeys {
		b = appendKey(b, fExportRevisedKeys, &e.RevisedKeys[i])
	}
	return b, nil
}

func (e *Export) validate() error {
	if e.Start.Unix() < 0 || e.End.Unix() < 0 {
		return fmt.Errorf("start %v or end %v before 1970", e.Start, e.End)
	}
	if e.End.Before(e.Start) {
		return fmt.Errorf("end %v before start %v", e.End, e.Start)
	}
	if e.BatchNum < 1 || e.BatchSize < e.BatchNum {
		return fmt.Errorf("batch %d of %d: want 1 ≤ num ≤ size", e.BatchNum, e.BatchSize)
	}
	for i, info := range e.SignatureInfos {
		if err := info.validate(); err != nil {
			return fmt.Errorf("signature info %d: %w", i, err)
		}
	}
	for _, set := range []struct {
		name string
		keys []Key
	}{{"key", e.Keys}, {"revised key", e.RevisedKeys}} {
		for i := range set.keys {
			if err := set.keys[i].validate(); err != nil {
				return fmt.Errorf("%s %d: %w", set.name, i, err)
			}
		}
	}
	return nil
}

func (k *Key) validate() error {
	switch {
	case k.RollingStart < 0:
		return fmt.Errorf("negative rolling start %d", k.RollingStart)
	case k.RollingPeriod < 1 || k.RollingPeriod > DefaultRollingPeriod:
		return fmt.Errorf("rolling period %d not in 1–%d", k.RollingPeriod, DefaultRollingPeriod)
	case !k.ReportType.Valid():
		return fmt.Errorf("unknown report type %d", int32(k.ReportType))
	case !k.Variant.Valid():
		return fmt.Errorf("unknown variant %d", int32(k.Variant))
	}
	return nil
}

func infoSize(info *SignatureInfo) int {
	return 3 + protowire.SizeBytes(len(info.KeyVersion)) + protowire.SizeBytes(len(info.KeyID)) + protowire.SizeBytes(len(info.Algorithm))
}

func appendInfo(b []byte, num protowire.Number, info *SignatureInfo) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(infoSize(info)))
	b = protowire.AppendTag(b, fInfoKeyVersion, protowire.BytesType)
	b = protowire.AppendString(b, info.KeyVersion)
	b = protowire.AppendTag(b, fInfoKeyID, protowire.BytesType)
	b = protowire.AppendString(b, info.KeyID)
	b = protowire.AppendTag(b, fInfoAlgorithm, protowire.BytesType)
	return protowire.AppendString(b, info.Algorithm)
}

// int32Size is the size of an int32 varint: negative values take 10 bytes.
func int32Size(v int32) int { return protowire.SizeVarint(uint64(int64(v))) }

func keySize(k *Key) int {
	n := 2 + KeyLen + 1 + int32Size(k.TransmissionRisk) + 1 + int32Size(k.RollingStart)
	if k.RollingPeriod != DefaultRollingPeriod {
		n += 1 + int32Size(k.RollingPeriod)
	}
	if k.ReportType != ReportTypeUnknown {
		n += 1 + int32Size(int32(k.ReportType))
	}
	if k.HasDaysSinceOnset {
		n += 1 + protowire.SizeVarint(protowire.EncodeZigZag(int64(k.DaysSinceOnset)))
	}
	if k.Variant != 0 {
		n += 1 + int32Size(int32(k.Variant))
	}
	return n
}

func appendKey(b []byte, num protowire.Number, k *Key) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(keySize(k)))
	b = append(b, byte(fKeyData<<3|protowire.BytesType), KeyLen)
	b = append(b, k.Data[:]...)
	b = append(b, byte(fKeyTransmission<<3|protowire.VarintType))
	b = protowire.AppendVarint(b, uint64(int64(k.TransmissionRisk)))
	b = append(b, byte(fKeyRollingStart<<3|protowire.VarintType))
	b = protowire.AppendVarint(b, uint64(int64(k.RollingStart)))
	if k.RollingPeriod != DefaultRollingPeriod {
		b = append(b, byte(fKeyRollingPeriod<<3|protowire.VarintType))
		b = protowire.AppendVarint(b, uint64(int64(k.RollingPeriod)))
	}
	if k.ReportType != ReportTypeUnknown {
		b = append(b, byte(fKeyReportType<<3|protowire.VarintType))
		b = protowire.AppendVarint(b, uint64(int64(k.ReportType)))
	}
	if k.HasDaysSinceOnset {
		b = append(b, byte(fKeyDaysSinceOnset<<3|protowire.VarintType))
		b = protowire.AppendVarint(b, protowire.EncodeZigZag(int64(k.DaysSinceOnset)))
	}
	if k.Variant != 0 {
		b = append(b, byte(fKeyVariant<<3|protowire.VarintType))
		b = protowire.AppendVarint(b, uint64(int64(k.Variant)))
	}
	return b
}

// maxUnix is 9999-12-31T23:59:59Z; later timestamps are refused.
const maxUnix = 253402300799

// unixTime converts a fixed64 timestamp of export.bin.
func unixTime(v uint64) (time.Time, error) {
	if v > maxUnix {
		return time.Time{}, fmt.Errorf("timestamp %d out of range", v)
	}
	return time.Unix(int64(v), 0).UTC(), nil
}
