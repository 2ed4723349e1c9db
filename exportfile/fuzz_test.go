package exportfile

import (
	"bytes"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/bluezone-vn/bluezone/exportfile/pb"
)

// fuzzSeeds returns the sample zip and a small built zip with revised keys
// and two signatures.
func fuzzSeeds(tb testing.TB) [][]byte {
	tb.Helper()
	e := sampleExport(tb, 3)
	e.RevisedKeys = randomKeys(tb, 1)
	e.RevisedKeys[0].ReportType = ReportTypeRevoked
	s1, _ := newSigner(tb, "1", "v1")
	s2, _ := newSigner(tb, "1", "v2")
	built, err := Build(e, s1, s2)
	if err != nil {
		tb.Fatal(err)
	}
	return [][]byte{readTestdata(tb, "sample_diagnosis_key_file.zip"), built}
}

func FuzzParseZip(f *testing.F) {
	for _, z := range fuzzSeeds(f) {
		f.Add(z)
	}
	trusted := sampleTrusted(f)
	lim := DefaultLimits()
	lim.MaxBinBytes, lim.MaxKeys = 1<<20, 10_000
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := lim.Parse(data)
		if err != nil {
			if file != nil {
				t.Fatal("file with error")
			}
			return
		}
		if n := len(file.Export.Keys) + len(file.Export.RevisedKeys); n > lim.MaxKeys {
			t.Fatalf("%d keys past limit", n)
		}
		if len(file.Signatures) > lim.MaxSignatures {
			t.Fatalf("%d signatures", len(file.Signatures))
		}
		st, _ := file.Verify(trusted)
		if len(st) != len(file.Signatures) {
			t.Fatal("status count")
		}
	})
}

// FuzzParseBin checks ParseBin against proto.Unmarshal with the generated
// types: whatever ParseBin accepts, the generated code accepts with the
// same values; whatever it refuses that the generated code accepts breaks
// one of its documented extra rules (16-byte keys, sane timestamps).
func FuzzParseBin(f *testing.F) {
	for _, z := range fuzzSeeds(f) {
		f.Add(rezipEntries(f, z)[BinName])
	}
	f.Add([]byte(Header))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := ParseBin(data, 0)
		if len(data) < HeaderLen || string(data[:HeaderLen]) != Header {
			if err == nil {
				t.Fatal("bad header accepted")
			}
			return
		}
		var x pb.TemporaryExposureKeyExport
		perr := proto.Unmarshal(data[HeaderLen:], &x)
		if err != nil {
			if e != nil {
				t.Fatal("export with error")
			}
			if perr == nil && !explained(&x) {
				t.Fatalf("refused what proto accepts: %v", err)
			}
			return
		}
		if perr != nil {
			t.Fatalf("accepted what proto refuses: %v", perr)
		}
		if uint64(e.Start.Unix()) != x.GetStartTimestamp() || uint64(e.End.Unix()) != x.GetEndTimestamp() ||
			e.Region != x.GetRegion() || e.BatchNum != x.GetBatchNum() || e.BatchSize != x.GetBatchSize() {
			t.Fatalf("header differs: %+v vs %v", e, &x)
		}
		if len(e.SignatureInfos) != len(x.SignatureInfos) {
			t.Fatal("signature info count differs")
		}
		for i, s := range x.SignatureInfos {
			if e.SignatureInfos[i] != (SignatureInfo{KeyID: s.GetVerificationKeyId(), KeyVersion: s.GetVerificationKeyVersion(), Algorithm: s.GetSignatureAlgorithm()}) {
				t.Fatalf("signature info %d differs", i)
			}
		}
		compareKeys(t, e.Keys, x.Keys)
		compareKeys(t, e.RevisedKeys, x.RevisedKeys)
	})
}

func explained(x *pb.TemporaryExposureKeyExport) bool {
	if x.GetStartTimestamp() > maxUnix || x.GetEndTimestamp() > maxUnix {
		return true
	}
	for _, k := range append(x.Keys, x.RevisedKeys...) {
		if len(k.KeyData) != KeyLen {
			return true
		}
	}
	return false
}

func compareKeys(t *testing.T, got []Key, want []*pb.TemporaryExposureKey) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d keys, proto %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if !bytes.Equal(g.Data[:], w.KeyData) || g.RollingStart != w.GetRollingStartIntervalNumber() ||
			g.RollingPeriod != w.GetRollingPeriod() || g.TransmissionRisk != w.GetTransmissionRiskLevel() ||
			g.ReportType != closedReportType(w) || g.HasDaysSinceOnset != (w.DaysSinceOnsetOfSymptoms != nil) ||
			g.DaysSinceOnset != w.GetDaysSinceOnsetOfSymptoms() || g.Variant != closedVariant(w) {
			t.Fatalf("key %d: %+v vs %v", i, g, w)
		}
	}
}

// closedReportType applies proto2's closed-enum rule, which the Go
// protobuf runtime does not (it keeps unknown enum numbers in the field) but
// the Java and C++ runtimes of phones do: an unknown number leaves the field
// unset.
func closedReportType(k *pb.TemporaryExposureKey) ReportType {
	if r := ReportType(k.GetReportType()); r.Valid() {
		return r
	}
	return ReportTypeUnknown
}

func closedVariant(k *pb.TemporaryExposureKey) Variant {
	if v := Variant(k.GetVariantOfConcern()); v.Valid() {
		return v
	}
	return 0
}

// FuzzParseSig checks ParseSig against proto.Unmarshal the same way.
func FuzzParseSig(f *testing.F) {
	for _, z := range fuzzSeeds(f) {
		f.Add(rezipEntries(f, z)[SigName])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sigs, err := ParseSig(data, 0)
		var x pb.TEKSignatureList
		perr := proto.Unmarshal(data, &x)
		if (err == nil) != (perr == nil) {
			t.Fatalf("ParseSig %v, proto %v", err, perr)
		}
		if err != nil {
			return
		}
		if len(sigs) != len(x.Signatures) {
			t.Fatal("count differs")
		}
		for i, w := range x.Signatures {
			g := sigs[i]
			wi := w.GetSignatureInfo()
			if g.Info != (SignatureInfo{KeyID: wi.GetVerificationKeyId(), KeyVersion: wi.GetVerificationKeyVersion(), Algorithm: wi.GetSignatureAlgorithm()}) ||
				g.BatchNum != w.GetBatchNum() || g.BatchSize != w.GetBatchSize() || !bytes.Equal(g.DER, w.GetSignature()) {
				t.Fatalf("signature %d: %+v vs %v", i, g, w)
			}
		}
	})
}

func FuzzParseIndex(f *testing.F) {
	f.Add([]byte("vn/1772323200-1772326800-00001.zip\nvn/1772326800-1772330400-00001.zip\n"))
	f.Add([]byte("a.zip\r\n\r\n../b.zip\n"))
	f.Add([]byte("/abs\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		paths, err := ParseIndex(data)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		dup := false
		for _, p := range paths {
			if err := checkIndexPath(p); err != nil {
				t.Fatalf("accepted %q: %v", p, err)
			}
			dup = dup || seen[p]
			seen[p] = true
		}
		out, err := MarshalIndex(paths)
		if dup {
			if err == nil {
				t.Fatal("duplicates marshalled")
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseIndex(out)
		if err != nil || len(back) != len(paths) {
			t.Fatalf("round trip: %v", err)
		}
		for _, p := range back {
			if !seen[p] {
				t.Fatalf("%q appeared", p)
			}
		}
	})
}
