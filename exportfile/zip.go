package exportfile

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"
)

// ZipOptions choose how the zip entries are stored. The zero value is the
// default: deflate at BestSpeed. Key bytes are random, but the rest of each
// key record (tags, interval numbers, risk, report type) compresses, so
// files shrink by a quarter — and every device downloads every file, so
// bandwidth matters more than server CPU. Deflate costs about 0.55 s of CPU
// per million keys, Store about 0.01 s; set Store when CPU time matters
// more (docs/benchmarks.md "## exportfile" has the measurements). Readers
// accept both.
type ZipOptions struct {
	// Store writes the entries uncompressed.
	Store bool
}

func (o ZipOptions) method() uint16 {
	if o.Store {
		return zip.Store
	}
	return zip.Deflate
}

// zipTime is the modification time written into the zip. It is fixed so
// that the same export gives the same bytes (reproducible files, stable
// CDN ETags) and leaks nothing about when the worker ran.
var zipTime = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// MarshalZip returns the export zip holding exactly export.bin and
// export.sig, in that order, with the default ZipOptions.
func MarshalZip(bin, sig []byte) ([]byte, error) { return ZipOptions{}.MarshalZip(bin, sig) }

// WriteZip writes the export zip holding exactly export.bin and export.sig
// to w, with the default ZipOptions.
func WriteZip(w io.Writer, bin, sig []byte) error { return ZipOptions{}.WriteZip(w, bin, sig) }

// MarshalZip is MarshalZip with these options.
func (o ZipOptions) MarshalZip(bin, sig []byte) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(bin) + len(sig) + 512)
	if err := o.WriteZip(&buf, bin, sig); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteZip is WriteZip with these options.
func (o ZipOptions) WriteZip(w io.Writer, bin, sig []byte) error {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, fastDeflate)
	for _, e := range []struct {
		name string
		data []byte
	}{{BinName, bin}, {SigName, sig}} {
		f, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: o.method(), Modified: zipTime})
		if err != nil {
			return fmt.Errorf("write export zip: %s: %w", e.name, err)
		}
		if _, err := f.Write(e.data); err != nil {
			return fmt.Errorf("write export zip: %s: %w", e.name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("write export zip: %w", err)
	}
	return nil
}

// Limits bound what Parse accepts, so a hostile or broken file cannot
// exhaust memory (zip bombs included: entry sizes are checked both as
// declared and as actually inflated).
type Limits struct {
	// MaxZipBytes bounds the zip itself.
	MaxZipBytes int64
	// MaxBinBytes and MaxSigBytes bound the uncompressed entries.
	MaxBinBytes, MaxSigBytes int64
	// MaxKeys bounds keys plus revised keys.
	MaxKeys int
	// MaxSignatures bounds the entries of export.sig.
	MaxSignatures int
}

// DefaultLimits fit the largest files the reference server writes (its
// default is well under 100,000 keys per file) with a wide margin: 2
// million keys, 64 MiB of zip, 128 MiB of export.bin, 64 KiB of export.sig
// and 10 signatures (phones read at most 10).
func DefaultLimits() Limits {
	return Limits{
		MaxZipBytes:   64 << 20,
		MaxBinBytes:   128 << 20,
		MaxSigBytes:   64 << 10,
		MaxKeys:       2_000_000,
		MaxSignatures: 10,
	}
}

// ErrFormat is wrapped by every error about a malformed export zip.
var ErrFormat = errors.New("malformed export file")

// Parse parses an export zip with DefaultLimits.
func Parse(zipData []byte) (*File, error) { return DefaultLimits().Parse(zipData) }

// Parse parses an export zip: it must hold exactly export.bin and
// export.sig, within the limits. It does not verify signatures; call
// File.Verify for that.
func (l Limits) Parse(zipData []byte) (*File, error) {
	f, err := l.parse(zipData)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	return f, nil
}

func (l Limits) parse(zipData []byte) (*File, error) {
	if l.MaxZipBytes > 0 && int64(len(zipData)) > l.MaxZipBytes {
		return nil, fmt.Errorf("zip is %d bytes, limit %d", len(zipData), l.MaxZipBytes)
	}
	zr, err := zip.NewReader(bytes.NewReader(zipData), int64(len(zipData)))
	if err != nil {
		return nil, fmt.Errorf("read zip: %w", err)
	}
	var bin, sig []byte
	var haveBin, haveSig bool
	for _, zf := range zr.File {
		var dst *[]byte
		var have *bool
		var limit int64
		switch zf.Name {
		case BinName:
			dst, have, limit = &bin, &haveBin, l.MaxBinBytes
		case SigName:
			dst, have, limit = &sig, &haveSig, l.MaxSigBytes
		default:
			return nil, fmt.Errorf("unexpected zip entry %q (want only %s and %s)", zf.Name, BinName, SigName)
		}
		if *have {
			return nil, fmt.Errorf("zip entry %s appears twice", zf.Name)
		}
		*have = true
		if *dst, err = readEntry(zf, limit); err != nil {
			return nil, err
		}
	}
	if !haveBin || !haveSig {
		return nil, fmt.Errorf("zip lacks %s", map[bool]string{false: BinName, true: SigName}[haveBin])
	}
	e, err := ParseBin(bin, l.MaxKeys)
	if err != nil {
		return nil, err
	}
	sigs, err := ParseSig(sig, l.MaxSignatures)
	if err != nil {
		return nil, err
	}
	return &File{Export: e, Signatures: sigs, Bin: bin}, nil
}

func readEntry(zf *zip.File, limit int64) ([]byte, error) {
	if limit > 0 && zf.UncompressedSize64 > uint64(limit) {
		return nil, fmt.Errorf("zip entry %s is %d bytes, limit %d", zf.Name, zf.UncompressedSize64, limit)
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, fmt.Errorf("zip entry %s: %w", zf.Name, err)
	}
	defer rc.Close()
	// The declared size is checked above, and archive/zip refuses data
	// longer than declared; the LimitReader is a second fence.
	r := io.Reader(rc)
	if limit > 0 {
		r = io.LimitReader(rc, limit+1)
	}
	// Room for the declared size (already within the limit) plus the
	// bytes.MinRead that ReadFrom wants free, so it never reallocates.
	hint := zf.UncompressedSize64
	if limit <= 0 {
		hint = min(hint, 1<<20)
	}
	buf := bytes.NewBuffer(make([]byte, 0, hint+bytes.MinRead+1))
	if _, err := buf.ReadFrom(r); err != nil {
		return nil, fmt.Errorf("zip entry %s: %w", zf.Name, err)
	}
	if limit > 0 && int64(buf.Len()) > limit {
		return nil, fmt.Errorf("zip entry %s inflates past %d bytes", zf.Name, limit)
	}
	return buf.Bytes(), nil
}
