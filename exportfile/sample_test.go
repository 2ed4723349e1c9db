package exportfile

import (
	"archive/zip"
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestSampleFile(t *testing.T) {
	t.Parallel()
	f, err := Parse(readTestdata(t, "sample_diagnosis_key_file.zip"))
	if err != nil {
		t.Fatal(err)
	}
	e := f.Export
	if e.Region != "US" || len(e.Keys) != 140 || len(e.RevisedKeys) != 0 {
		t.Fatalf("region %q, %d keys, %d revised", e.Region, len(e.Keys), len(e.RevisedKeys))
	}
	if e.BatchNum != 1 || e.BatchSize != 1 || e.End.Before(e.Start) || e.Start.Year() < 2020 {
		t.Errorf("batch %d/%d, %v – %v", e.BatchNum, e.BatchSize, e.Start, e.End)
	}
	distinct := map[[16]byte]bool{}
	for i, k := range e.Keys {
		distinct[k.Data] = true
		if k.RollingPeriod < 1 || k.RollingPeriod > 144 || k.RollingStart <= 0 {
			t.Errorf("key %d: %+v", i, k)
		}
	}
	if len(distinct) != 140 {
		t.Errorf("%d distinct keys", len(distinct))
	}
	if len(f.Signatures) != 1 || f.Signatures[0].Info.KeyID != "310" || f.Signatures[0].Info.KeyVersion != "v1" {
		t.Fatalf("signatures %+v", f.Signatures)
	}
	st, err := f.Verify(sampleTrusted(t))
	if err != nil || len(st) != 1 || st[0].Result != SignatureValid {
		t.Fatalf("verify: %v %+v", err, st)
	}
}

func TestSampleTampered(t *testing.T) {
	t.Parallel()
	f, err := Parse(readTestdata(t, "sample_diagnosis_key_file.zip"))
	if err != nil {
		t.Fatal(err)
	}
	trusted := sampleTrusted(t)
	// Flip one byte at a few places of export.bin: header, timestamps,
	// a key, the last byte.
	for _, at := range []int{0, 20, len(f.Bin) / 2, len(f.Bin) - 1} {
		bin := bytes.Clone(f.Bin)
		bin[at] ^= 0x01
		st, err := VerifyBin(bin, f.Signatures, trusted)
		if !errors.Is(err, ErrBadSignature) || st[0].Result != SignatureInvalid {
			t.Errorf("byte %d flipped: err %v, status %+v", at, err, st)
		}
	}
	// The same flip through a rebuilt zip: parses (or not), never verifies.
	bin := bytes.Clone(f.Bin)
	bin[len(bin)-1] ^= 0x01
	sig := rezipEntries(t, readTestdata(t, "sample_diagnosis_key_file.zip"))[SigName]
	z, err := MarshalZip(bin, sig)
	if err != nil {
		t.Fatal(err)
	}
	if g, err := Parse(z); err == nil {
		if _, err := g.Verify(trusted); !errors.Is(err, ErrBadSignature) {
			t.Errorf("tampered zip verifies: %v", err)
		}
	}
}

func TestVerifyErrors(t *testing.T) {
	t.Parallel()
	f, err := Parse(readTestdata(t, "sample_diagnosis_key_file.zip"))
	if err != nil {
		t.Fatal(err)
	}
	other := newKey(t)
	sampleKey := sampleTrusted(t)[KeyRef{"310", "v1"}]
	cases := []struct {
		name    string
		trusted TrustedKeys
		sigs    func([]Signature) []Signature
		wantErr error
		want    SignatureResult
	}{
		{"wrong key", TrustedKeys{{"310", "v1"}: &other.PublicKey}, nil, ErrBadSignature, SignatureInvalid},
		{"unknown key id", TrustedKeys{{"311", "v1"}: sampleKey}, nil, ErrNoTrustedSignature, SignatureUnknownKey},
		{"unknown version", TrustedKeys{{"310", "v2"}: sampleKey}, nil, ErrNoTrustedSignature, SignatureUnknownKey},
		{"no trusted keys", nil, nil, ErrNoTrustedSignature, SignatureUnknownKey},
		{"unsupported algorithm", TrustedKeys{{"310", "v1"}: sampleKey}, func(s []Signature) []Signature {
			s[0].Info.Algorithm = "1.2.840.10045.4.3.4"
			return s
		}, ErrBadSignature, SignatureUnsupportedAlgorithm},
		{"garbage signature", TrustedKeys{{"310", "v1"}: sampleKey}, func(s []Signature) []Signature {
			s[0].DER = []byte{0x30, 0x00}
			return s
		}, ErrBadSignature, SignatureInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sigs := append([]Signature(nil), f.Signatures...)
			if c.sigs != nil {
				sigs = c.sigs(sigs)
			}
			st, err := VerifyBin(f.Bin, sigs, c.trusted)
			if !errors.Is(err, c.wantErr) || len(st) != 1 || st[0].Result != c.want {
				t.Fatalf("err %v, status %+v; want %v, %v", err, st, c.wantErr, c.want)
			}
		})
	}
	t.Run("no signatures", func(t *testing.T) {
		if _, err := VerifyBin(f.Bin, nil, sampleTrusted(t)); !errors.Is(err, ErrNoTrustedSignature) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("one good one bad", func(t *testing.T) {
		// A second signature claiming a trusted key but not verifying makes
		// the file bad even though the first one is fine.
		bad := f.Signatures[0]
		bad.Info.KeyID = "999"
		bad.DER = bytes.Clone(bad.DER)
		bad.DER[len(bad.DER)-1] ^= 1
		trusted := TrustedKeys{{"310", "v1"}: sampleKey, {"999", "v1"}: sampleKey}
		st, err := VerifyBin(f.Bin, []Signature{f.Signatures[0], bad}, trusted)
		if !errors.Is(err, ErrBadSignature) || st[0].Result != SignatureValid || st[1].Result != SignatureInvalid {
			t.Fatalf("err %v, status %+v", err, st)
		}
	})
}

// rezipEntries returns the entries of a zip by name.
func rezipEntries(tb testing.TB, z []byte) map[string][]byte {
	tb.Helper()
	zr, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			tb.Fatal(err)
		}
		var b bytes.Buffer
		if _, err := b.ReadFrom(rc); err != nil {
			tb.Fatal(err)
		}
		rc.Close()
		out[f.Name] = b.Bytes()
	}
	return out
}

// makeZip writes a zip with the given entries in order.
func makeZip(tb testing.TB, method uint16, entries ...struct {
	name string
	data []byte
}) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: method})
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := w.Write(e.data); err != nil {
			tb.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

type entry = struct {
	name string
	data []byte
}

func TestParseZipErrors(t *testing.T) {
	t.Parallel()
	sample := readTestdata(t, "sample_diagnosis_key_file.zip")
	ent := rezipEntries(t, sample)
	bin, sig := ent[BinName], ent[SigName]
	badKey := append([]byte(Header), 0x3a, 4, 0x0a, 2, 1, 2) // keys[0] with 2-byte key_data
	cases := []struct {
		name   string
		zip    []byte
		limits Limits
		want   string
	}{
		{"empty", nil, DefaultLimits(), "read zip"},
		{"not a zip", []byte("hello, world"), DefaultLimits(), "read zip"},
		{"truncated", sample[:len(sample)-10], DefaultLimits(), "read zip"},
		{"truncated half", sample[:len(sample)/2], DefaultLimits(), "read zip"},
		{"extra entry", makeZip(t, zip.Deflate, entry{BinName, bin}, entry{SigName, sig}, entry{"README", []byte("x")}), DefaultLimits(), `unexpected zip entry "README"`},
		{"missing sig", makeZip(t, zip.Deflate, entry{BinName, bin}), DefaultLimits(), "zip lacks export.sig"},
		{"missing bin", makeZip(t, zip.Deflate, entry{SigName, sig}), DefaultLimits(), "zip lacks export.bin"},
		{"no entries", makeZip(t, zip.Deflate), DefaultLimits(), "zip lacks export.bin"},
		{"duplicate bin", makeZip(t, zip.Deflate, entry{BinName, bin}, entry{BinName, bin}, entry{SigName, sig}), DefaultLimits(), "appears twice"},
		{"directory entry", makeZip(t, zip.Store, entry{"x/", nil}, entry{BinName, bin}, entry{SigName, sig}), DefaultLimits(), `unexpected zip entry "x/"`},
		{"header mismatch", makeZip(t, zip.Store, entry{BinName, append([]byte("EK Export v2    "), bin[16:]...)}, entry{SigName, sig}), DefaultLimits(), `header "EK Export v2    "`},
		{"short header", makeZip(t, zip.Store, entry{BinName, []byte("EK Exp")}, entry{SigName, sig}), DefaultLimits(), `header "EK Exp"`},
		{"bad protobuf", makeZip(t, zip.Store, entry{BinName, append([]byte(Header), 0x3a, 0x7f)}, entry{SigName, sig}), DefaultLimits(), "parse export.bin"},
		{"bad key length", makeZip(t, zip.Store, entry{BinName, badKey}, entry{SigName, sig}), DefaultLimits(), "key 0: key_data is 2 bytes, want 16"},
		{"bad sig protobuf", makeZip(t, zip.Store, entry{BinName, bin}, entry{SigName, []byte{0x0a, 0x05, 1}}), DefaultLimits(), "parse export.sig"},
		{"zip too big", sample, Limits{MaxZipBytes: 100}, "limit 100"},
		{"bin too big", sample, Limits{MaxBinBytes: 1000}, "export.bin is 3854 bytes, limit 1000"},
		{"sig too big", sample, Limits{MaxSigBytes: 50}, "export.sig is 111 bytes, limit 50"},
		{"too many keys", sample, Limits{MaxKeys: 139}, "more than 139 keys"},
		{"too many signatures", makeZip(t, zip.Store, entry{BinName, bin}, entry{SigName, bytes.Repeat(sig, 3)}), Limits{MaxSignatures: 2}, "more than 2 signatures"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := c.limits.Parse(c.zip)
			if err == nil || !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want %q", err, c.want)
			}
			if f != nil {
				t.Error("file returned with error")
			}
		})
	}
	// The limits are inclusive: the sample passes at exactly its sizes.
	if _, err := (Limits{MaxZipBytes: int64(len(sample)), MaxBinBytes: 3854, MaxSigBytes: 111, MaxKeys: 140, MaxSignatures: 1}).Parse(sample); err != nil {
		t.Fatalf("exact limits: %v", err)
	}
}

// TestZipBomb: a small zip that inflates far past the limit is refused,
// whether it declares its true size or lies about it.
func TestZipBomb(t *testing.T) {
	t.Parallel()
	huge := make([]byte, 64<<20)
	copy(huge, Header)
	z := makeZip(t, zip.Deflate, entry{BinName, huge}, entry{SigName, nil})
	if len(z) > 1<<20 {
		t.Fatalf("bomb is %d bytes", len(z))
	}
	lim := DefaultLimits()
	lim.MaxBinBytes = 1 << 20
	if _, err := lim.Parse(z); err == nil || !strings.Contains(err.Error(), "export.bin is 67108864 bytes, limit 1048576") {
		t.Fatalf("declared bomb: %v", err)
	}
	// Rewrite the declared sizes (local header and central directory) to
	// 100 bytes: the reader must still stop.
	lying := bytes.Clone(z)
	patched := 0
	for i := 0; i+4 <= len(lying); i++ {
		if le32(lying[i:]) == 64<<20 {
			lying[i], lying[i+1], lying[i+2], lying[i+3] = 100, 0, 0, 0
			patched++
		}
	}
	if patched == 0 {
		t.Fatal("size field not found")
	}
	if _, err := lim.Parse(lying); err == nil {
		t.Fatal("lying bomb parsed")
	}
}

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}
