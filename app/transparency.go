package app

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/bluezone-vn/bluezone/dashboard"
	"github.com/bluezone-vn/bluezone/exportfile"
	"github.com/bluezone-vn/bluezone/installs"
	"github.com/bluezone-vn/bluezone/keyserver/export"
)

// transparency answers the dashboard's transparency page from the key
// server's table, the export files and the public keys. Everything it
// returns is public anyway; it never returns a key.
type transparency struct {
	app   *App
	mu    sync.Mutex
	files map[string]dashboard.ExportFile // parsed once: files never change
}

var _ dashboard.Transparency = (*transparency)(nil)

// KeysPerDay counts accepted and revised keys per day (Vietnam time) from
// the hour-truncated times the key server stores.
func (t *transparency) KeysPerDay(ctx context.Context, days int) ([]dashboard.DayCount, error) {
	now := t.app.clock.Now().In(installs.Zone)
	first := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, installs.Zone).AddDate(0, 0, -(days - 1))
	out := make([]dashboard.DayCount, days)
	for i := range out {
		out[i].Day = first.AddDate(0, 0, i)
	}
	index := func(unix int64) int {
		d := time.Unix(unix, 0).In(installs.Zone)
		day := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, installs.Zone)
		return int(day.Sub(first).Hours()/24 + 0.5)
	}
	for _, col := range []string{"created_at", "revised_at"} {
		rows, err := t.app.db.Query(ctx, `SELECT `+col+`, COUNT(*) FROM exposures WHERE `+col+` >= ? GROUP BY `+col, first.Unix())
		if err != nil {
			return nil, fmt.Errorf("keys per day: %w", err)
		}
		for rows.Next() {
			var at, n int64
			if err := rows.Scan(&at, &n); err != nil {
				rows.Close()
				return nil, fmt.Errorf("keys per day: %w", err)
			}
			if i := index(at); i >= 0 && i < days {
				if col == "created_at" {
					out[i].Keys += n
				} else {
					out[i].Revised += n
				}
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("keys per day: %w", err)
		}
	}
	return out, nil
}

// ExportFiles lists the files in the export index, newest first.
func (t *transparency) ExportFiles(ctx context.Context) ([]dashboard.ExportFile, error) {
	idx, err := t.app.exportBlobs.Get(ctx, export.IndexName)
	if err != nil {
		return nil, nil // no index yet: nothing exported
	}
	names, err := exportfile.ParseIndex(idx)
	if err != nil {
		return nil, fmt.Errorf("export index: %w", err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.files == nil {
		t.files = map[string]dashboard.ExportFile{}
	}
	out := make([]dashboard.ExportFile, 0, len(names))
	for i := len(names) - 1; i >= 0; i-- {
		name := names[i]
		f, ok := t.files[name]
		if !ok {
			data, err := t.app.exportBlobs.Get(ctx, name[strings.LastIndex(name, "/")+1:])
			if err != nil {
				continue // removed by cleanup since the index was read
			}
			parsed, err := exportfile.Parse(data)
			if err != nil {
				return nil, fmt.Errorf("export file %s: %w", name, err)
			}
			e := parsed.Export
			f = dashboard.ExportFile{Name: name, URL: "/" + name, Region: e.Region, Start: e.Start, End: e.End,
				Keys: len(e.Keys) + len(e.RevisedKeys), Batch: int(e.BatchNum), BatchSize: int(e.BatchSize)}
			if len(e.SignatureInfos) > 0 {
				f.SigningKeyID, f.SigningKeyVersion = e.SignatureInfos[0].KeyID, e.SignatureInfos[0].KeyVersion
			}
			t.files[name] = f
		}
		out = append(out, f)
	}
	return out, nil
}

// PublicKeys returns the export signing keys and the health authorities'
// certificate keys.
func (t *transparency) PublicKeys(ctx context.Context) ([]dashboard.PublicKey, error) {
	var out []dashboard.PublicKey
	pems := t.app.Export.PublicKeysPEM()
	for _, block := range strings.SplitAfter(pems, "-----END PUBLIC KEY-----\n") {
		header, pemText, ok := strings.Cut(block, "\n")
		if !ok || !strings.HasPrefix(header, "keyId=") {
			continue
		}
		k := dashboard.PublicKey{Use: dashboard.UseExport, Owner: "Bluezone", Algorithm: "ECDSA P-256 / SHA-256", PEM: pemText}
		for _, f := range strings.Fields(header) {
			name, val, _ := strings.Cut(f, "=")
			switch name {
			case "keyId":
				k.KeyID = val
			case "keyVersion":
				k.Version = val
			}
		}
		out = append(out, k)
	}
	realmKeys, err := t.app.Verification.PublicKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("certificate keys: %w", err)
	}
	for _, k := range realmKeys {
		out = append(out, dashboard.PublicKey{Use: dashboard.UseCertificate, Owner: k.Issuer, KeyID: k.Issuer,
			Version: k.KeyVersion, Algorithm: "ECDSA P-256 / SHA-256 (ES256)", PEM: k.PublicKeyPEM, From: k.CreatedAt, Thru: k.RetiredAt})
	}
	return out, nil
}
