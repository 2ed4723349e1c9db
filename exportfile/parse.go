package exportfile

import (
	"errors"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// The parsers below decode the protobuf wire format directly into the
// package's structs instead of going through the generated pb types: that
// avoids several allocations per key (a device parses millions of keys a
// day), lets the key limit apply while parsing, and rejects keys that are not
// 16 bytes. They follow proto2 semantics exactly — last value wins for
// optional scalars, embedded messages merge, unknown fields and fields with
// an unexpected wire type are skipped, enum values outside the closed enum
// are treated as unset (as the Java and C++ runtimes of phones do; the Go
// runtime keeps them) — and a fuzz test checks them against proto.Unmarshal
// with the generated types.

// ParseBin parses export.bin (header included) into an Export. At most
// maxKeys keys and revised keys together are accepted; maxKeys ≤ 0 means no
// limit.
func ParseBin(bin []byte, maxKeys int) (*Export, error) {
	if len(bin) < HeaderLen || string(bin[:HeaderLen]) != Header {
		n := min(len(bin), HeaderLen)
		return nil, fmt.Errorf("parse export.bin: header %q, want %q", bin[:n], Header)
	}
	e := &Export{}
	var start, end uint64
	nkeys := 0
	b := bin[HeaderLen:]
	for len(b) > 0 {
		num, typ, v, rest, err := nextField(b)
		if err != nil {
			return nil, fmt.Errorf("parse export.bin: %w", err)
		}
		b = rest
		switch {
		case num == fExportStart && typ == protowire.Fixed64Type:
			start = v.u
		case num == fExportEnd && typ == protowire.Fixed64Type:
			end = v.u
		case num == fExportRegion && typ == protowire.BytesType:
			e.Region = string(v.b)
		case num == fExportBatchNum && typ == protowire.VarintType:
			e.BatchNum = int32(v.u)
		case num == fExportBatchSize && typ == protowire.VarintType:
			e.BatchSize = int32(v.u)
		case num == fExportSigInfos && typ == protowire.BytesType:
			var info SignatureInfo
			if err := parseInfo(v.b, &info); err != nil {
				return nil, fmt.Errorf("parse export.bin: signature info %d: %w", len(e.SignatureInfos), err)
			}
			e.SignatureInfos = append(e.SignatureInfos, info)
		case (num == fExportKeys || num == fExportRevisedKeys) && typ == protowire.BytesType:
			nkeys++
			if maxKeys > 0 && nkeys > maxKeys {
				return nil, fmt.Errorf("parse export.bin: more than %d keys", maxKeys)
			}
			if nkeys == 1 {
				// Keys take at least 20 bytes each on the wire; reserve room
				// for all of them at once instead of growing step by step.
				e.Keys = make([]Key, 0, len(b)/20+1)
			}
			k := Key{RollingPeriod: DefaultRollingPeriod}
			name, list := "key", &e.Keys
			if num == fExportRevisedKeys {
				name, list = "revised key", &e.RevisedKeys
			}
			if err := parseKey(v.b, &k); err != nil {
				return nil, fmt.Errorf("parse export.bin: %s %d: %w", name, len(*list), err)
			}
			*list = append(*list, k)
		}
	}
	var err error
	if e.Start, err = unixTime(start); err != nil {
		return nil, fmt.Errorf("parse export.bin: start: %w", err)
	}
	if e.End, err = unixTime(end); err != nil {
		return nil, fmt.Errorf("parse export.bin: end: %w", err)
	}
	if len(e.Keys) == 0 {
		e.Keys = nil
	}
	return e, nil
}

// ParseSig parses export.sig. At most maxSigs signatures are accepted;
// maxSigs ≤ 0 means no limit.
func ParseSig(sig []byte, maxSigs int) ([]Signature, error) {
	var sigs []Signature
	b := sig
	for len(b) > 0 {
		num, typ, v, rest, err := nextField(b)
		if err != nil {
			return nil, fmt.Errorf("parse export.sig: %w", err)
		}
		b = rest
		if num != fSigListSignatures || typ != protowire.BytesType {
			continue
		}
		if maxSigs > 0 && len(sigs) >= maxSigs {
			return nil, fmt.Errorf("parse export.sig: more than %d signatures", maxSigs)
		}
		var s Signature
		if err := parseSignature(v.b, &s); err != nil {
			return nil, fmt.Errorf("parse export.sig: signature %d: %w", len(sigs), err)
		}
		sigs = append(sigs, s)
	}
	return sigs, nil
}

func parseSignature(b []byte, s *Signature) error {
	for len(b) > 0 {
		num, typ, v, rest, err := nextField(b)
		if err != nil {
			return err
		}
		b = rest
		switch {
		case num == fSigInfo && typ == protowire.BytesType:
			if err := parseInfo(v.b, &s.Info); err != nil { // merges, as proto2 does
				return fmt.Errorf("signature info: %w", err)
			}
		case num == fSigBatchNum && typ == protowire.VarintType:
			s.BatchNum = int32(v.u)
		case num == fSigBatchSize && typ == protowire.VarintType:
			s.BatchSize = int32(v.u)
		case num == fSigSignature && typ == protowire.BytesType:
			s.DER = append([]byte(nil), v.b...)
		}
	}
	return nil
}

func parseInfo(b []byte, info *SignatureInfo) error {
	for len(b) > 0 {
		num, typ, v, rest, err := nextField(b)
		if err != nil {
			return err
		}
		b = rest
		if typ != protowire.BytesType {
			continue
		}
		switch num {
		case fInfoKeyVersion:
			info.KeyVersion = string(v.b)
		case fInfoKeyID:
			info.KeyID = string(v.b)
		case fInfoAlgorithm:
			info.Algorithm = string(v.b)
		}
	}
	return nil
}

func parseKey(b []byte, k *Key) error {
	hasData := false
	for len(b) > 0 {
		num, typ, v, rest, err := nextField(b)
		if err != nil {
			return err
		}
		b = rest
		if num == fKeyData && typ == protowire.BytesType {
			if len(v.b) != KeyLen {
				return fmt.Errorf("key_data is %d bytes, want %d", len(v.b), KeyLen)
			}
			copy(k.Data[:], v.b)
			hasData = true
			continue
		}
		if typ != protowire.VarintType {
			continue
		}
		switch num {
		case fKeyTransmission:
			k.TransmissionRisk = int32(v.u)
		case fKeyRollingStart:
			k.RollingStart = int32(v.u)
		case fKeyRollingPeriod:
			k.RollingPeriod = int32(v.u)
		case fKeyReportType:
			// Closed proto2 enum: unknown values leave the field unset.
			if r := ReportType(int32(v.u)); r.Valid() {
				k.ReportType = r
			}
		case fKeyDaysSinceOnset:
			k.DaysSinceOnset = int32(protowire.DecodeZigZag(v.u & math.MaxUint32))
			k.HasDaysSinceOnset = true
		case fKeyVariant:
			if vc := Variant(int32(v.u)); vc.Valid() {
				k.Variant = vc
			}
		}
	}
	if !hasData {
		return errors.New("no key_data")
	}
	return nil
}

// value is one decoded field value: u for varint and fixed types, b for
// length-delimited ones.
type value struct {
	u uint64
	b []byte
}

// nextField decodes the field at the start of b. Fields of group or
// unknown wire types are skipped whole and returned with their type, so
// callers ignore them as proto.Unmarshal does.
func nextField(b []byte) (protowire.Number, protowire.Type, value, []byte, error) {
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 {
		return 0, 0, value{}, nil, fmt.Errorf("bad field tag: %w", protowire.ParseError(n))
	}
	if num > protowire.MaxValidNumber {
		// ConsumeTag lets these through; proto.Unmarshal refuses them.
		return 0, 0, value{}, nil, fmt.Errorf("field number %d out of range", num)
	}
	b = b[n:]
	var v value
	switch typ {
	case protowire.VarintType:
		v.u, n = protowire.ConsumeVarint(b)
	case protowire.Fixed64Type:
		v.u, n = protowire.ConsumeFixed64(b)
	case protowire.Fixed32Type:
		var u32 uint32
		u32, n = protowire.ConsumeFixed32(b)
		v.u = uint64(u32)
	case protowire.BytesType:
		v.b, n = protowire.ConsumeBytes(b)
	default:
		n = protowire.ConsumeFieldValue(num, typ, b)
	}
	if n < 0 {
		return 0, 0, value{}, nil, fmt.Errorf("field %d: %w", num, protowire.ParseError(n))
	}
	return num, typ, v, b[n:], nil
}
