package exportfile

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"testing"

	"google.golang.org/protobuf/proto"
)

// Benchmarks of the export file path. Record results in docs/benchmarks.md
// ("## exportfile"), e.g.:
//
//	go test ./exportfile -run '^$' -bench . -benchtime 3x -benchmem

var benchSizes = []int{100_000, 1_000_000}

// BenchmarkBuild is the export worker's path: marshal, sign, zip. MB/s is
// of export.bin.
func BenchmarkBuild(b *testing.B) {
	s, _ := newSigner(b, "452", "v1")
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			e := sampleExport(b, n)
			bin, err := MarshalBin(e)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(bin)))
			b.ResetTimer()
			var z []byte
			for b.Loop() {
				if z, err = Build(e, s); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(z))/float64(len(bin)), "zip/bin")
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "keys/s")
		})
	}
}

// BenchmarkMarshalBin compares the hand-written encoder with proto.Marshal
// of the generated types (conversion included, as a caller would need it).
func BenchmarkMarshalBin(b *testing.B) {
	e := sampleExport(b, 1_000_000)
	b.Run("protowire", func(b *testing.B) {
		for b.Loop() {
			if _, err := MarshalBin(e); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("generated", func(b *testing.B) {
		for b.Loop() {
			if _, err := proto.Marshal(toPB(e)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkZipMethod compares how export.bin of 1,000,000 keys is stored:
// time, and size relative to export.bin.
func BenchmarkZipMethod(b *testing.B) {
	bin, err := MarshalBin(sampleExport(b, 1_000_000))
	if err != nil {
		b.Fatal(err)
	}
	for _, m := range []struct {
		name   string
		method uint16
		level  int
	}{{"store", zip.Store, 0}, {"deflate-speed", zip.Deflate, flate.BestSpeed}, {"deflate-default", zip.Deflate, flate.DefaultCompression}} {
		b.Run(m.name, func(b *testing.B) {
			b.SetBytes(int64(len(bin)))
			var buf bytes.Buffer
			for b.Loop() {
				buf.Reset()
				zw := zip.NewWriter(&buf)
				zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) { return flate.NewWriter(w, m.level) })
				f, err := zw.CreateHeader(&zip.FileHeader{Name: BinName, Method: m.method})
				if err != nil {
					b.Fatal(err)
				}
				f.Write(bin)
				if err := zw.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(buf.Len())/float64(len(bin)), "zip/bin")
		})
	}
}

// BenchmarkParseVerify is the device's path: unzip, parse, verify.
func BenchmarkParseVerify(b *testing.B) {
	s, k := newSigner(b, "452", "v1")
	trusted := TrustedKeys{{"452", "v1"}: &k.PublicKey}
	z, err := Build(sampleExport(b, 100_000), s)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("keys=100000", func(b *testing.B) {
		var binLen int
		for b.Loop() {
			f, err := Parse(z)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := f.Verify(trusted); err != nil {
				b.Fatal(err)
			}
			binLen = len(f.Bin)
		}
		b.SetBytes(int64(binLen))
		b.ReportMetric(float64(100_000)*float64(b.N)/b.Elapsed().Seconds(), "keys/s")
	})
}
