package exportfile

import (
	"archive/zip"
	"bytes"
	"testing"
)

// TestZipOptions checks both storage methods: entries, order and method,
// and that the result parses and verifies.
func TestZipOptions(t *testing.T) {
	t.Parallel()
	s, k := newSigner(t, "452", "v1")
	e := sampleExport(t, 20)
	for _, o := range []ZipOptions{{}, {Store: true}} {
		z, err := o.Build(e, s)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
		if err != nil {
			t.Fatal(err)
		}
		if len(zr.File) != 2 || zr.File[0].Name != BinName || zr.File[1].Name != SigName || zr.File[0].Method != o.method() {
			t.Fatalf("%+v: entries %v", o, zr.File)
		}
		f, err := Parse(z)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Verify(TrustedKeys{{"452", "v1"}: &k.PublicKey}); err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
	}
}
