package exportfile

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/bluezone-vn/bluezone/exportfile/pb"
)

// toPB converts e the way the reference server fills the generated types.
func toPB(e *Export) *pb.TemporaryExposureKeyExport {
	conv := func(keys []Key) []*pb.TemporaryExposureKey {
		var out []*pb.TemporaryExposureKey
		for _, k := range keys {
			p := &pb.TemporaryExposureKey{
				KeyData:                    append([]byte(nil), k.Data[:]...),
				TransmissionRiskLevel:      proto.Int32(k.TransmissionRisk),
				RollingStartIntervalNumber: proto.Int32(k.RollingStart),
			}
			if k.RollingPeriod != 144 {
				p.RollingPeriod = proto.Int32(k.RollingPeriod)
			}
			if k.ReportType != 0 {
				p.ReportType = pb.TemporaryExposureKey_ReportType(k.ReportType).Enum()
			}
			if k.HasDaysSinceOnset {
				p.DaysSinceOnsetOfSymptoms = proto.Int32(k.DaysSinceOnset)
			}
			if k.Variant != 0 {
				p.VariantOfConcern = pb.TemporaryExposureKey_VariantOfConcern(k.Variant).Enum()
			}
			out = append(out, p)
		}
		return out
	}
	x := &pb.TemporaryExposureKeyExport{
		StartTimestamp: proto.Uint64(uint64(e.Start.Unix())),
		EndTimestamp:   proto.Uint64(uint64(e.End.Unix())),
		Region:         proto.String(e.Region),
		BatchNum:       proto.Int32(e.BatchNum),
		BatchSize:      proto.Int32(e.BatchSize),
		Keys:           conv(e.Keys),
		RevisedKeys:    conv(e.RevisedKeys),
	}
	for _, s := range e.SignatureInfos {
		x.SignatureInfos = append(x.SignatureInfos, &pb.SignatureInfo{
			VerificationKeyVersion: proto.String(s.KeyVersion),
			VerificationKeyId:      proto.String(s.KeyID),
			SignatureAlgorithm:     proto.String(s.Algorithm),
		})
	}
	return x
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	e := sampleExport(t, 50)
	e.Keys[0].Variant = 3
	e.Keys[1].HasDaysSinceOnset, e.Keys[1].DaysSinceOnset = true, -14
	e.Keys[2].ReportType = ReportTypeRecursive
	e.Keys[3].ReportType = ReportTypeUnknown
	e.RevisedKeys = randomKeys(t, 5)
	for i := range e.RevisedKeys {
		e.RevisedKeys[i].ReportType = ReportTypeRevoked
	}
	s1, k1 := newSigner(t, "452", "v2")
	s2, k2 := newSigner(t, "452", "v1")
	zipData, err := Build(e, s1, s2)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse(zipData)
	if err != nil {
		t.Fatal(err)
	}
	want := *e
	want.SignatureInfos = []SignatureInfo{
		{KeyID: "452", KeyVersion: "v2", Algorithm: AlgorithmECDSAP256SHA256},
		{KeyID: "452", KeyVersion: "v1", Algorithm: AlgorithmECDSAP256SHA256},
	}
	got := f.Export
	if !got.Start.Equal(want.Start) || !got.End.Equal(want.End) || got.Region != "VN" || got.BatchNum != 1 || got.BatchSize != 1 {
		t.Errorf("header: got %v %v %q %d/%d", got.Start, got.End, got.Region, got.BatchNum, got.BatchSize)
	}
	if !reflect.DeepEqual(got.SignatureInfos, want.SignatureInfos) {
		t.Errorf("signature infos: got %+v", got.SignatureInfos)
	}
	for _, set := range []struct {
		name      string
		got, want []Key
	}{{"keys", got.Keys, want.Keys}, {"revised", got.RevisedKeys, want.RevisedKeys}} {
		if len(set.got) != len(set.want) {
			t.Fatalf("%s: got %d, want %d", set.name, len(set.got), len(set.want))
		}
		for i := range set.want {
			if set.got[i] != set.want[i] {
				t.Errorf("%s[%d]: got %+v, want %+v", set.name, i, set.got[i], set.want[i])
			}
		}
	}
	if got.Keys[3].ReportType != ReportTypeUnknown || got.Keys[1].DaysSinceOnset != -14 || got.Keys[0].Variant != 3 {
		t.Errorf("special keys: %+v", got.Keys[:4])
	}
	if len(f.Signatures) != 2 || f.Signatures[0].Info != want.SignatureInfos[0] || f.Signatures[1].BatchNum != 1 || f.Signatures[1].BatchSize != 1 {
		t.Fatalf("signatures: %+v", f.Signatures)
	}
	both := TrustedKeys{{"452", "v2"}: &k1.PublicKey, {"452", "v1"}: &k2.PublicKey}
	st, err := f.Verify(both)
	if err != nil || st[0].Result != SignatureValid || st[1].Result != SignatureValid {
		t.Fatalf("verify with both keys: %v %+v", err, st)
	}
	// A device that only knows the older key still accepts the file.
	st, err = f.Verify(TrustedKeys{{"452", "v1"}: &k2.PublicKey})
	if err != nil || st[0].Result != SignatureUnknownKey || st[1].Result != SignatureValid {
		t.Fatalf("verify with old key only: %v %+v", err, st)
	}
}

// TestDefaultRollingPeriod checks that 144 is omitted on the wire and comes
// back as 144, and that other periods are written.
func TestDefaultRollingPeriod(t *testing.T) {
	t.Parallel()
	e := sampleExport(t, 2)
	e.Keys[0].RollingPeriod = 144
	e.Keys[1].RollingPeriod = 72
	bin, err := MarshalBin(e)
	if err != nil {
		t.Fatal(err)
	}
	var x pb.TemporaryExposureKeyExport
	if err := proto.Unmarshal(bin[HeaderLen:], &x); err != nil {
		t.Fatal(err)
	}
	if x.Keys[0].RollingPeriod != nil || x.Keys[0].GetRollingPeriod() != 144 {
		t.Errorf("period 144 written as %v", x.Keys[0].RollingPeriod)
	}
	if x.Keys[1].RollingPeriod == nil || *x.Keys[1].RollingPeriod != 72 {
		t.Errorf("period 72 written as %v", x.Keys[1].RollingPeriod)
	}
	got, err := ParseBin(bin, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got.Keys[0].RollingPeriod != 144 || got.Keys[1].RollingPeriod != 72 {
		t.Errorf("parsed periods %d, %d", got.Keys[0].RollingPeriod, got.Keys[1].RollingPeriod)
	}
}

// TestMarshalMatchesGenerated checks the hand-written encoder byte for byte
// against proto.Marshal of the generated types.
func TestMarshalMatchesGenerated(t *testing.T) {
	t.Parallel()
	e := sampleExport(t, 300)
	e.Keys[5].TransmissionRisk = -1 // negative int32: 10-byte varint
	e.Keys[6].Variant = 4
	e.RevisedKeys = randomKeys(t, 3)
	e.SignatureInfos = []SignatureInfo{{KeyID: "310", KeyVersion: "v1", Algorithm: AlgorithmECDSAP256SHA256}}
	bin, err := MarshalBin(e)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(bin, []byte(Header)) {
		t.Fatalf("header %q", bin[:16])
	}
	want, err := proto.MarshalOptions{Deterministic: true}.Marshal(toPB(e))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(bin[HeaderLen:], want) {
		t.Fatalf("encoding differs from proto.Marshal (%d vs %d bytes)", len(bin)-HeaderLen, len(want))
	}
	if cap(bin) != len(bin) {
		t.Errorf("size estimate %d, actual %d", cap(bin), len(bin))
	}
}

func TestMarshalBinErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		mutate func(e *Export)
		want   string
	}{
		{"end before start", func(e *Export) { e.End = e.Start.Add(-time.Second) }, "before start"},
		{"before 1970", func(e *Export) { e.Start = time.Unix(-5, 0) }, "before 1970"},
		{"batch num 0", func(e *Export) { e.BatchNum = 0 }, "batch 0 of 1"},
		{"batch num > size", func(e *Export) { e.BatchNum = 2 }, "batch 2 of 1"},
		{"rolling period 0", func(e *Export) { e.Keys[1].RollingPeriod = 0 }, "key 1: rolling period 0"},
		{"rolling period 145", func(e *Export) { e.Keys[0].RollingPeriod = 145 }, "rolling period 145"},
		{"negative rolling start", func(e *Export) { e.Keys[0].RollingStart = -1 }, "negative rolling start"},
		{"report type", func(e *Export) { e.Keys[0].ReportType = 6 }, "unknown report type 6"},
		{"variant", func(e *Export) { e.Keys[0].Variant = 5 }, "unknown variant 5"},
		{"revised", func(e *Export) { e.RevisedKeys = []Key{{}} }, "revised key 0: rolling period 0"},
		{"info id", func(e *Export) {
			e.SignatureInfos = []SignatureInfo{{KeyID: "a b", KeyVersion: "v1", Algorithm: AlgorithmECDSAP256SHA256}}
		}, "only [a-zA-Z0-9_]"},
		{"info algorithm", func(e *Export) {
			e.SignatureInfos = []SignatureInfo{{KeyID: "1", KeyVersion: "v1", Algorithm: "1.2.840.10045.4.3.4"}}
		}, "unsupported algorithm"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := sampleExport(t, 2)
			c.mutate(e)
			bin, err := MarshalBin(e)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want %q", err, c.want)
			}
			if bin != nil {
				t.Errorf("bytes returned with error")
			}
		})
	}
}

func TestSignErrors(t *testing.T) {
	t.Parallel()
	e := sampleExport(t, 1)
	good, _ := newSigner(t, "1", "v1")
	p384 := newP384(t)
	cases := []struct {
		name    string
		signers []Signer
		want    string
	}{
		{"no signer", nil, "no signer"},
		{"nil signer", []Signer{{Info: SignatureInfo{KeyID: "1", KeyVersion: "v1"}}}, "nil crypto.Signer"},
		{"P-384", []Signer{good, {Info: SignatureInfo{KeyID: "2", KeyVersion: "v1"}, Signer: p384}}, "signer 1: key 2/v1 is not an ECDSA P-256 key"},
		{"empty version", []Signer{{Info: SignatureInfo{KeyID: "1"}, Signer: good.Signer}}, "empty key version"},
		{"bad algorithm", []Signer{{Info: SignatureInfo{KeyID: "1", KeyVersion: "v1", Algorithm: "1.2.3"}, Signer: good.Signer}}, "unsupported algorithm"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			z, err := Build(e, c.signers...)
			if err == nil || !strings.Contains(err.Error(), c.want) || z != nil {
				t.Fatalf("err %v, want %q", err, c.want)
			}
		})
	}
}

func TestReportTypeString(t *testing.T) {
	t.Parallel()
	for r, want := range map[ReportType]string{ReportTypeConfirmedTest: "CONFIRMED_TEST", ReportTypeRevoked: "REVOKED", 9: "ReportType(9)"} {
		if r.String() != want {
			t.Errorf("%d: %q", r, r.String())
		}
		if pb.TemporaryExposureKey_ReportType(r).String() != want && r.Valid() {
			t.Errorf("%d differs from generated enum name %q", r, pb.TemporaryExposureKey_ReportType(r))
		}
	}
}
