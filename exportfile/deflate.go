package exportfile

import (
	"compress/flate"
	"io"
	"sync"
)

// flateWriters reuses deflate writers: each holds about 1 MiB of state,
// and the export worker writes many files.
var flateWriters sync.Pool

// fastDeflate is the zip compressor: deflate at BestSpeed, pooled.
func fastDeflate(w io.Writer) (io.WriteCloser, error) {
	if fw, ok := flateWriters.Get().(*flate.Writer); ok {
		fw.Reset(w)
		return &pooledFlate{fw}, nil
	}
	fw, err := flate.NewWriter(w, flate.BestSpeed)
	if err != nil {
		return nil, err
	}
	return &pooledFlate{fw}, nil
}

type pooledFlate struct{ *flate.Writer }

func (p *pooledFlate) Close() error {
	err := p.Writer.Close()
	flateWriters.Put(p.Writer)
	p.Writer = nil
	return err
}
