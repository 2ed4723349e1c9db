package exportfile

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
)

// Benchmarks of the export file path. Record results in docs/benchmarks.md
// ("## exportfile"), e.g.:
//
//	go test ./exportfile -run '^$' -bench . -benchtime 3x -benchmem

// BenchmarkBuild is the export worker's path: marshal, sign, zip. MB/s is
// of export.bin.
func BenchmarkBuild(b *testing.B) {
	s, _ := newSigner(b, "452", "v1")
	for _, c := range []struct {
		n    int
		opts ZipOptions
	}{{100_000, ZipOptions{}}, {1_000_000, ZipOptions{}}, {1_000_000, ZipOptions{Store: true}}} {
		n := c.n
		name := fmt.Sprintf("keys=%d", n)
		if c.opts.Store {
			name += "/store"
		}
		b.Run(name, func(b *testing.B) {
			e := sampleExport(b, n)
			bin, err := MarshalBin(e)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(bin)))
			b.ResetTimer()
			var z []byte
			c0 := cpuTime(b)
			for b.Loop() {
				if z, err = c.opts.Build(e, s); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, c0)
			b.ReportMetric(float64(len(z))/float64(len(bin)), "zip/bin")
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "keys/s")
		})
	}
}

// cpuTime returns the process's user+system CPU time. The machine is
// shared, so wall time (ns/op) varies with others' load; CPU time per
// operation ("cpu-ms/op") is the steadier measure of the work done.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N)/1e6, "cpu-ms/op")
}

// BenchmarkMarshalBin compares the hand-written encoder with proto.Marshal
// of the generated types (conversion included, as a caller would need it).
func BenchmarkMarshalBin(b *testing.B) {
	e := sampleExport(b, 1_000_000)
	b.Run("protowire", func(b *testing.B) {
		c0 := cpuTime(b)
		for b.Loop() {
			if _, err := MarshalBin(e); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, c0)
	})
	b.Run("generated", func(b *testing.B) {
		c0 := cpuTime(b)
		for b.Loop() {
			if _, err := proto.Marshal(toPB(e)); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, c0)
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
			c0 := cpuTime(b)
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
			reportCPU(b, c0)
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
		c0 := cpuTime(b)
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
		reportCPU(b, c0)
		b.SetBytes(int64(binLen))
		b.ReportMetric(float64(100_000)*float64(b.N)/b.Elapsed().Seconds(), "keys/s")
	})
}
