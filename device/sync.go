package device

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/bluezone-vn/bluezone/exportfile"
	"github.com/bluezone-vn/bluezone/gaen"
)

// RejectedFile is an export file that Sync refused: it was not signed by a
// trusted key, a signature did not verify, or it could not be parsed. Its
// keys were never matched.
type RejectedFile struct {
	Name     string `json:"name"`
	Reason   string `json:"reason"`
	WhenUnix int64  `json:"when"`
}

// SyncResult says what one Sync did.
type SyncResult struct {
	// Files counts export files downloaded, verified and matched.
	Files int
	// Rejected counts files refused; RejectedFiles says which and why.
	Rejected      int
	RejectedFiles []RejectedFile
	// Keys and RevisedKeys count diagnosis keys read from accepted files.
	Keys, RevisedKeys int
	// MatchedKeys counts keys that explain at least one sighting;
	// Sightings is how many sightings were checked.
	MatchedKeys, Sightings int
	// NewF1 and NewF2 count warnings raised by this sync.
	NewF1, NewF2 int
}

// Limits on what Sync downloads.
const (
	maxZipBytes  = 64 << 20
	maxKeysBytes = 1 << 20
)

// Sync downloads the export files listed in the server's index.txt after
// the last one processed, verifies each against the trusted keys (a file
// without a valid trusted signature is rejected, recorded and never
// matched), matches the keys of the accepted files against the sightings
// of the last 14 days, builds and scores exposure windows, applies revised
// keys, and raises warnings. A network or server error stops the sync
// without skipping files: the next Sync resumes after the last file
// processed.
func (d *Device) Sync(ctx context.Context) (*SyncResult, error) {
	d.mu.Lock()
	cfg := d.st.Config
	last := d.st.LastExport
	trusted, terr := d.trustedLocked()
	d.mu.Unlock()
	if terr != nil {
		return nil, terr
	}
	if len(trusted) == 0 {
		return nil, errors.New("sync: no trusted export keys: run init with the server's keys or a key file")
	}
	base := strings.TrimRight(cfg.ServerURL, "/")
	idx, status, err := d.get(ctx, base+"/exports/index.txt", exportfile.MaxIndexBytes)
	if err != nil {
		return nil, fmt.Errorf("sync: index: %w", err)
	}
	var lines []string
	switch status {
	case http.StatusOK:
		if lines, err = exportfile.ParseIndex(idx); err != nil {
			return nil, fmt.Errorf("sync: index: %w", err)
		}
	case http.StatusNotFound: // no export yet
	default:
		return nil, fmt.Errorf("sync: index: HTTP %d", status)
	}

	res := &SyncResult{}
	var keys, revised []exportfile.Key
	var syncErr error
	newLast := last
	for _, line := range newLines(lines, last) {
		u := base + "/exports/" + line
		if strings.Contains(line, "/") {
			u = base + "/" + line
		}
		data, status, err := d.get(ctx, u, maxZipBytes)
		if err != nil || status >= 500 || status == http.StatusTooManyRequests {
			if err == nil {
				err = fmt.Errorf("HTTP %d", status)
			}
			syncErr = fmt.Errorf("sync: download %s: %w", line, err)
			break
		}
		newLast = line
		if status != http.StatusOK {
			res.reject(line, fmt.Sprintf("download: HTTP %d", status), d.clock.Now())
			continue
		}
		f, err := exportfile.Parse(data)
		if err == nil {
			_, err = f.Verify(trusted)
		}
		if err != nil {
			res.reject(line, err.Error(), d.clock.Now())
			continue
		}
		res.Files++
		keys = append(keys, f.Export.Keys...)
		revised = append(revised, f.Export.RevisedKeys...)
	}
	res.Keys, res.RevisedKeys = len(keys), len(revised)

	if err := d.match(ctx, keys, revised, res); err != nil {
		return res, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.clock.Now()
	d.st.LastExport = newLast
	d.st.LastSync = now
	d.st.Rejected = append(d.st.Rejected, res.RejectedFiles...)
	if n := len(d.st.Rejected); n > 100 {
		d.st.Rejected = d.st.Rejected[n-100:]
	}
	for _, w := range d.noteWarningsLocked(now) {
		if w.Kind == KindF1 {
			res.NewF1++
		} else {
			res.NewF2++
		}
	}
	if err := d.saveLocked(); err != nil {
		return res, err
	}
	return res, syncErr
}

func (r *SyncResult) reject(name, reason string, now time.Time) {
	r.Rejected++
	r.RejectedFiles = append(r.RejectedFiles, RejectedFile{Name: name, Reason: reason, WhenUnix: now.Unix()})
}

// match matches keys against the sighting log and merges the exposures
// found into the state; revised keys update or (REVOKED) drop exposures.
func (d *Device) match(ctx context.Context, keys, revised []exportfile.Key, res *SyncResult) error {
	d.mu.Lock()
	if err := d.log.flush(); err != nil {
		d.mu.Unlock()
		return err
	}
	now := d.clock.Now()
	d.purgeLocked(now)
	var logs []sighting
	err := d.log.readSince(dayName(now.AddDate(0, 0, -gaen.RetentionDays)), func(s *sighting) { logs = append(logs, *s) })
	rssiOffset, risk := d.st.Config.RSSIOffset, d.risk
	d.mu.Unlock()
	if err != nil {
		return err
	}
	res.Sightings = len(logs)

	var found []exposure
	if len(keys) > 0 && len(logs) > 0 {
		// The matcher needs each (RPI, interval) once; a phone nearby is
		// heard by several scans per interval, so index the distinct pairs
		// and chain the sightings that share one (next links them). The
		// log is in time order, so pairs repeat only within one interval
		// and the map holds one interval's identifiers at a time.
		first := map[gaen.RPI]int32{}
		cur := uint32(0)
		next := make([]int32, len(logs))
		var last []int32
		ss := make([]gaen.Sighting, 0, len(logs)/2)
		for i := range logs {
			next[i] = -1
			in := uint32(logs[i].Time / gaen.IntervalSeconds)
			if in != cur {
				clear(first)
				cur = in
			}
			if j, ok := first[logs[i].RPI]; ok {
				next[last[j]] = int32(i)
				last[j] = int32(i)
				continue
			}
			first[logs[i].RPI] = int32(len(ss))
			last = append(last, int32(i))
			ss = append(ss, gaen.Sighting{RPI: logs[i].RPI, AEM: logs[i].AEM, Interval: in, Ref: int64(i)})
		}
		first, last = nil, nil
		m := gaen.NewMatcher(ss)
		ss = nil
		dks := make([]gaen.DiagnosisKey, 0, len(keys))
		for _, k := range keys {
			if k.ReportType == exportfile.ReportTypeRevoked || k.RollingStart < 0 || k.RollingPeriod < 0 {
				continue
			}
			dk := gaen.DiagnosisKey{TEK: gaen.TEK(k.Data), RollingStart: uint32(k.RollingStart), RollingPeriod: uint32(k.RollingPeriod),
				ReportType: int32(k.ReportType), DaysSinceOnset: k.DaysSinceOnset, TransmissionRisk: k.TransmissionRisk}
			if k.HasDaysSinceOnset {
				dk.Ref = refHasDSOS
			}
			dks = append(dks, dk)
		}
		kms, err := m.MatchAll(ctx, dks, 0)
		if err != nil {
			return fmt.Errorf("sync: match: %w", err)
		}
		for _, km := range kms {
			// Expand each matched pair to all its sightings.
			var all []gaen.Match
			for _, mt := range km.Matches {
				for i := int32(mt.Sighting.Ref); i >= 0; i = next[i] {
					m2 := mt
					m2.SightingIndex = int(i)
					all = append(all, m2)
				}
			}
			km.Matches = all
			found = append(found, buildExposure(km, logs, rssiOffset, risk))
		}
	}
	res.MatchedKeys = len(found)

	d.mu.Lock()
	defer d.mu.Unlock()
	for _, ex := range found {
		replaced := false
		for i := range d.st.Exposures {
			if string(d.st.Exposures[i].Key) == string(ex.Key) {
				d.st.Exposures[i], replaced = ex, true
			}
		}
		if !replaced {
			d.st.Exposures = append(d.st.Exposures, ex)
		}
	}
	for _, rk := range revised {
		keep := d.st.Exposures[:0]
		for _, ex := range d.st.Exposures {
			if string(ex.Key) == string(rk.Data[:]) {
				if rk.ReportType == exportfile.ReportTypeRevoked {
					continue
				}
				ex.ReportType = int32(rk.ReportType)
				ex.DaysSinceOnset, ex.HasDSOS = rk.DaysSinceOnset, rk.HasDaysSinceOnset
			}
			keep = append(keep, ex)
		}
		d.st.Exposures = keep
	}
	return nil
}

// purgeLocked deletes sightings, own keys and exposures older than 14 days.
func (d *Device) purgeLocked(now time.Time) {
	first := dayName(now.AddDate(0, 0, -(gaen.RetentionDays - 1)))
	if _, err := d.log.purgeBefore(first); err != nil {
		d.lastErr = err
	}
	d.purgeTEKsLocked(gaen.IntervalNumber(now))
	keep := d.st.Exposures[:0]
	for _, ex := range d.st.Exposures {
		var ws []window
		for _, w := range ex.Windows {
			if dayName(time.Unix(w.Start, 0)) >= first {
				ws = append(ws, w)
			}
		}
		if len(ws) > 0 {
			ex.Windows = ws
			keep = append(keep, ex)
		}
	}
	d.st.Exposures = keep
}

// newLines returns the index lines after last: those after its position,
// or, when last is no longer listed (cleaned up), those named after it.
func newLines(lines []string, last string) []string {
	if last == "" {
		return lines
	}
	for i, l := range lines {
		if l == last {
			return lines[i+1:]
		}
	}
	var out []string
	for _, l := range lines {
		if fileOrderLess(last, l) {
			out = append(out, l)
		}
	}
	return out
}

// fileOrderLess orders export names "<start>-<end>-<num>.zip" by their
// numbers, other names by string.
func fileOrderLess(a, b string) bool {
	pa, oka := parseExportName(a)
	pb, okb := parseExportName(b)
	if oka && okb {
		for i := range pa {
			if pa[i] != pb[i] {
				return pa[i] < pb[i]
			}
		}
		return false
	}
	return a < b
}

func parseExportName(s string) ([3]int64, bool) {
	var out [3]int64
	if i := strings.LastIndex(s, "/"); i >= 0 {
		s = s[i+1:]
	}
	s, ok := strings.CutSuffix(s, ".zip")
	parts := strings.Split(s, "-")
	if !ok || len(parts) != 3 {
		return out, false
	}
	for i, p := range parts {
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return out, false
		}
		out[i] = n
	}
	return out, true
}

// get fetches url, reading at most limit bytes of body.
func (d *Device) get(ctx context.Context, url string, limit int64) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, 0, err
	}
	resp, err := d.http.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, resp.StatusCode, err
	}
	if int64(len(body)) > limit {
		return nil, resp.StatusCode, fmt.Errorf("response larger than %d bytes", limit)
	}
	return body, resp.StatusCode, nil
}

// trustedLocked builds the verification key set.
func (d *Device) trustedLocked() (exportfile.TrustedKeys, error) {
	tk := exportfile.TrustedKeys{}
	for _, k := range d.st.TrustedKeys {
		pub, err := exportfile.ParsePublicKey([]byte(k.PublicKeyPEM))
		if err != nil {
			return nil, fmt.Errorf("trusted key %s/%s: %w", k.KeyID, k.KeyVersion, err)
		}
		tk[exportfile.KeyRef{ID: k.KeyID, Version: k.KeyVersion}] = pub
	}
	return tk, nil
}

// TrustKey adds (or replaces) a public key the device accepts export
// signatures from. pem is a PEM "PUBLIC KEY" block or base64 DER.
func (d *Device) TrustKey(keyID, keyVersion, pem string) error {
	if keyID == "" || keyVersion == "" {
		return errors.New("trust key: key id and version are required")
	}
	if _, err := exportfile.ParsePublicKey([]byte(pem)); err != nil {
		return fmt.Errorf("trust key %s/%s: %w", keyID, keyVersion, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	keep := d.st.TrustedKeys[:0]
	for _, k := range d.st.TrustedKeys {
		if k.KeyID != keyID || k.KeyVersion != keyVersion {
			keep = append(keep, k)
		}
	}
	d.st.TrustedKeys = append(keep, TrustedKey{KeyID: keyID, KeyVersion: keyVersion, PublicKeyPEM: pem})
	return d.saveLocked()
}

// FetchTrustedKeys downloads GET /exports/keys.json from the server and
// pins every key in it (trust on first use; a phone app ships its keys
// instead). It returns how many keys are now trusted.
func (d *Device) FetchTrustedKeys(ctx context.Context) (int, error) {
	d.mu.Lock()
	base := strings.TrimRight(d.st.Config.ServerURL, "/")
	d.mu.Unlock()
	body, status, err := d.get(ctx, base+"/exports/keys.json", maxKeysBytes)
	if err != nil {
		return 0, fmt.Errorf("fetch export keys: %w", err)
	}
	if status != http.StatusOK {
		return 0, fmt.Errorf("fetch export keys: HTTP %d", status)
	}
	var ks []struct {
		KeyID        string `json:"keyId"`
		KeyVersion   string `json:"keyVersion"`
		Algorithm    string `json:"algorithm"`
		PublicKeyPEM string `json:"publicKeyPEM"`
	}
	if err := json.Unmarshal(body, &ks); err != nil {
		return 0, fmt.Errorf("fetch export keys: %w", err)
	}
	if len(ks) == 0 {
		return 0, errors.New("fetch export keys: the server lists no keys")
	}
	for _, k := range ks {
		if k.Algorithm != "" && k.Algorithm != exportfile.AlgorithmECDSAP256SHA256 {
			continue
		}
		if err := d.TrustKey(k.KeyID, k.KeyVersion, k.PublicKeyPEM); err != nil {
			return 0, err
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.st.TrustedKeys), nil
}

// Rejections lists the export files refused so far (the last 100).
func (d *Device) Rejections() []RejectedFile {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]RejectedFile(nil), d.st.Rejected...)
}

// TrustedKeys returns the export signing keys the device trusts.
func (d *Device) TrustedKeys() []TrustedKey {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]TrustedKey(nil), d.st.TrustedKeys...)
}
