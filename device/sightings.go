package device

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/bluezone-vn/bluezone/gaen"
)

// sighting is one identifier heard in one scan: the unit of the log. Packets
// of the same advertiser within one scan are aggregated by the radio (typical
// and strongest RSSI); the log drops exact repeats (same RPI, same second).
type sighting struct {
	RPI     gaen.RPI
	AEM     gaen.AEM
	Time    int64 // unix seconds, device clock
	RSSI    int8  // typical RSSI of the scan, dBm
	MaxRSSI int8  // strongest packet, dBm
	Gap     uint16
}

// recordLen is the encoded size of a sighting: RPI 16, AEM 4, time 4
// (uint32 unix seconds), RSSI 1, max RSSI 1, seconds since last scan 2.
const recordLen = 16 + 4 + 4 + 1 + 1 + 2

func (s *sighting) encode(b []byte) {
	copy(b[0:16], s.RPI[:])
	copy(b[16:20], s.AEM[:])
	binary.LittleEndian.PutUint32(b[20:24], uint32(s.Time))
	b[24] = byte(s.RSSI)
	b[25] = byte(s.MaxRSSI)
	binary.LittleEndian.PutUint16(b[26:28], s.Gap)
}

func (s *sighting) decode(b []byte) {
	copy(s.RPI[:], b[0:16])
	copy(s.AEM[:], b[16:20])
	s.Time = int64(binary.LittleEndian.Uint32(b[20:24]))
	s.RSSI = int8(b[24])
	s.MaxRSSI = int8(b[25])
	s.Gap = binary.LittleEndian.Uint16(b[26:28])
}

// sightingLog keeps sightings in one file per UTC day under dir. A file is a
// sequence of blocks, each [uint32 length][AES-GCM(nonce ‖ records ‖ tag)],
// sealed with the device key and bound to the file's day by the additional
// data, so the file reveals only how many sightings a day holds (rounded by
// block), never an identifier or a time within the day. New sightings wait
// in memory and are sealed a block at a time (flush), which keeps the cost
// per sighting to a copy. Not safe for concurrent use: Device serialises it.
type sightingLog struct {
	dir  string
	seal *sealer

	file      *os.File // open for appending to fileDay's file, or nil
	fileDay   string
	pending   []sighting // in arrival order, not yet on disk
	scanStart int        // index in pending of the current scan's first sighting
	corrupt   int        // blocks skipped on read since open
}

const sightingsDir = "sightings"

func dayName(t time.Time) string { return t.UTC().Format("2006-01-02") }

func (l *sightingLog) path(day string) string { return filepath.Join(l.dir, day+".log") }

func blockAD(day string) []byte { return []byte("bluezone sightings v1 " + day) }

// add appends a sighting unless the same RPI was already logged at the same
// second (a repeat); a repeat keeps the stronger RSSIs.
func (l *sightingLog) add(s sighting) {
	for i := len(l.pending) - 1; i >= l.scanStart && i >= 0; i-- {
		p := &l.pending[i]
		if p.Time != s.Time {
			break
		}
		if p.RPI == s.RPI {
			p.RSSI = max(p.RSSI, s.RSSI)
			p.MaxRSSI = max(p.MaxRSSI, s.MaxRSSI)
			return
		}
	}
	l.pending = append(l.pending, s)
}

// endScan marks the start of a new scan for de-duplication.
func (l *sightingLog) endScan() { l.scanStart = len(l.pending) }

// flush seals the pending sightings into their days' files.
func (l *sightingLog) flush() error {
	if len(l.pending) == 0 {
		return nil
	}
	if err := os.MkdirAll(l.dir, 0o700); err != nil {
		return fmt.Errorf("sighting log: %w", err)
	}
	byDay := map[string][]byte{}
	var days []string
	lastDay, d := int64(-1), ""
	for i := range l.pending {
		if n := l.pending[i].Time / 86400; n != lastDay {
			lastDay, d = n, dayName(time.Unix(l.pending[i].Time, 0))
			if _, ok := byDay[d]; !ok {
				days = append(days, d)
			}
		}
		var rec [recordLen]byte
		l.pending[i].encode(rec[:])
		byDay[d] = append(byDay[d], rec[:]...)
	}
	for _, d := range days {
		sealed, err := l.seal.seal(byDay[d], blockAD(d))
		if err != nil {
			return fmt.Errorf("sighting log: %w", err)
		}
		buf := make([]byte, 4, 4+len(sealed))
		binary.LittleEndian.PutUint32(buf, uint32(len(sealed)))
		buf = append(buf, sealed...)
		if l.file == nil || l.fileDay != d {
			if err := l.close(); err != nil {
				return err
			}
			f, err := os.OpenFile(l.path(d), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
			if err != nil {
				return fmt.Errorf("sighting log: %w", err)
			}
			l.file, l.fileDay = f, d
		}
		if _, err := l.file.Write(buf); err != nil {
			return fmt.Errorf("sighting log: %w", err)
		}
	}
	l.pending = l.pending[:0]
	l.scanStart = 0
	return nil
}

// close closes the file kept open for appending.
func (l *sightingLog) close() error {
	if l.file == nil {
		return nil
	}
	err := l.file.Close()
	l.file, l.fileDay = nil, ""
	if err != nil {
		return fmt.Errorf("sighting log: %w", err)
	}
	return nil
}

// days lists the days that have a file, oldest first.
func (l *sightingLog) days() ([]string, error) {
	ents, err := os.ReadDir(l.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sighting log: %w", err)
	}
	var out []string
	for _, e := range ents {
		n := e.Name()
		if d, ok := strings.CutSuffix(n, ".log"); ok {
			if _, err := time.Parse("2006-01-02", d); err == nil {
				out = append(out, d)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// readDay calls fn for every sighting of day on disk, then for the pending
// ones of that day. A block that fails authentication or is cut short (a
// crash while appending) is skipped and counted in corrupt.
func (l *sightingLog) readDay(day string, fn func(*sighting)) error {
	data, err := os.ReadFile(l.path(day))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("sighting log: %w", err)
	}
	ad := blockAD(day)
	var s sighting
	for len(data) > 0 {
		if len(data) < 4 {
			l.corrupt++
			break
		}
		n := int(binary.LittleEndian.Uint32(data))
		if n > len(data)-4 {
			l.corrupt++
			break
		}
		plain, err := l.seal.open(data[4:4+n], ad)
		data = data[4+n:]
		if err != nil || len(plain)%recordLen != 0 {
			l.corrupt++
			continue
		}
		for off := 0; off < len(plain); off += recordLen {
			s.decode(plain[off : off+recordLen])
			fn(&s)
		}
	}
	for i := range l.pending {
		if dayName(time.Unix(l.pending[i].Time, 0)) == day {
			s = l.pending[i]
			fn(&s)
		}
	}
	return nil
}

// readSince calls fn for every sighting of the days from firstDay on.
func (l *sightingLog) readSince(firstDay string, fn func(*sighting)) error {
	days, err := l.days()
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, d := range days {
		seen[d] = true
	}
	for i := range l.pending {
		d := dayName(time.Unix(l.pending[i].Time, 0))
		if !seen[d] {
			seen[d] = true
			days = append(days, d)
		}
	}
	sort.Strings(days)
	for _, d := range days {
		if d < firstDay {
			continue
		}
		if err := l.readDay(d, fn); err != nil {
			return err
		}
	}
	return nil
}

// purgeBefore deletes the files of days before firstDay.
func (l *sightingLog) purgeBefore(firstDay string) (int, error) {
	days, err := l.days()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, d := range days {
		if d >= firstDay {
			break
		}
		if d == l.fileDay {
			l.close()
		}
		if err := os.Remove(l.path(d)); err != nil {
			return n, fmt.Errorf("sighting log: purge: %w", err)
		}
		n++
	}
	keep := l.pending[:0]
	for _, s := range l.pending {
		if dayName(time.Unix(s.Time, 0)) >= firstDay {
			keep = append(keep, s)
		}
	}
	l.pending = keep
	l.scanStart = min(l.scanStart, len(keep))
	return n, nil
}
