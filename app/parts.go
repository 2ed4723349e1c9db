package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/bluezone-vn/bluezone/app/adapters"
	"github.com/bluezone-vn/bluezone/blob"
	"github.com/bluezone-vn/bluezone/dashboard"
	"github.com/bluezone-vn/bluezone/installs"
	"github.com/bluezone-vn/bluezone/keyserver"
	"github.com/bluezone-vn/bluezone/keyserver/export"
	"github.com/bluezone-vn/bluezone/portal"
	"github.com/bluezone-vn/bluezone/verification"
	"github.com/bluezone-vn/bluezone/vnadmin"
)

// parts holds the services this process runs; nil where not configured.
type parts struct {
	Verification *verification.Server
	KeyServer    *keyserver.Server
	Export       *export.Worker
	Installs     *installs.Server
	Dashboard    *dashboard.Server
	Portal       *portal.Server
	exportBlobs  blob.Store
}

// buildParts migrates and constructs the configured services and mounts
// their routes.
func (a *App) buildParts(ctx context.Context) error {
	// The verification service is built in every mode: the key server needs
	// its realms' public keys even when it runs alone.
	if err := verification.Migrate(ctx, a.db); err != nil {
		return err
	}
	vcfg := verification.DefaultConfig()
	v, err := verification.New(vcfg, verification.Deps{DB: a.db, Clock: a.clock, Logger: a.log, Registerer: a.registry, Secret: a.secret})
	if err != nil {
		return fmt.Errorf("verification: %w", err)
	}
	a.Verification = v
	if a.cfg.runs(PartVerification) {
		if err := a.bootstrapKeys(ctx); err != nil {
			return err
		}
		v.Register(a.mux)
		a.loops = append(a.loops, v.Run)
	}

	if a.cfg.runs(PartKeyServer) || a.cfg.runs(PartExport) {
		// The export worker reads the key server's table, so both migrate it.
		if err := keyserver.Migrate(ctx, a.db); err != nil {
			return err
		}
	}
	if a.cfg.runs(PartKeyServer) {
		ks, err := keyserver.New(keyserver.DefaultConfig(), keyserver.Deps{DB: a.db, Clock: a.clock, Logger: a.log, Registerer: a.registry, Secret: a.secret})
		if err != nil {
			return fmt.Errorf("keyserver: %w", err)
		}
		a.KeyServer = ks
		if err := a.syncHealthAuthorities(ctx); err != nil {
			return err
		}
		ks.Register(a.mux)
		a.loops = append(a.loops, ks.Run, a.syncLoop)
	}

	if a.cfg.runs(PartExport) {
		if err := a.buildExport(ctx); err != nil {
			return err
		}
	}

	if a.cfg.Only == PartAll {
		if err := a.buildStatistics(ctx); err != nil {
			return err
		}
	}
	return nil
}

// bootstrapKeys seeds the realms and, on first start, writes a national
// admin API key and a device API key into the data folder's secrets.
func (a *App) bootstrapKeys(ctx context.Context) error {
	adminKey, created, err := a.Verification.EnsureBootstrap(ctx)
	if err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	if !created {
		return nil
	}
	adminPath := filepath.Join(a.cfg.DataDir, "secrets", "admin-api-key")
	if err := writeFileAtomic(adminPath, []byte(adminKey+"\n"), 0o600); err != nil {
		return err
	}
	deviceKey, err := a.Verification.CreateAPIKey(ctx, verification.NationalRealm, verification.KindDevice, "bluezone app")
	if err != nil {
		return fmt.Errorf("bootstrap device key: %w", err)
	}
	devicePath := filepath.Join(a.cfg.DataDir, "secrets", "device-api-key")
	if err := writeFileAtomic(devicePath, []byte(deviceKey+"\n"), 0o600); err != nil {
		return err
	}
	a.Notes = append(a.Notes,
		"created the national admin API key in "+adminPath,
		"created the app's device API key in "+devicePath)
	return nil
}

func (a *App) buildExport(ctx context.Context) error {
	if err := export.Migrate(ctx, a.db); err != nil {
		return err
	}
	blobs, err := blob.NewFS(filepath.Join(a.cfg.DataDir, "exports"))
	if err != nil {
		return fmt.Errorf("export files: %w", err)
	}
	signers, err := a.exportSigners()
	if err != nil {
		return err
	}
	ecfg := export.DefaultConfig()
	ecfg.Period = a.cfg.ExportPeriod
	ecfg.MinWindowAge = a.cfg.ExportMinWindowAge
	ecfg.Region = a.cfg.Region
	w, err := export.New(ecfg, export.Deps{DB: a.db, Blob: blobs, Clock: a.clock, Logger: a.log, Signers: signers})
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	a.Export, a.exportBlobs = w, blobs
	w.Register(a.mux)
	a.loops = append(a.loops, w.Run)
	return nil
}

// exportSigners loads the export signing keys from DataDir/keys, creating
// the configured one on first start. Every key file present signs, newest
// version first, so a rotation (bluezone admin rotate-export-key) is seen by
// devices that still trust only the old key.
func (a *App) exportSigners() ([]export.Signer, error) {
	dir := filepath.Join(a.cfg.DataDir, "keys")
	path := ExportKeyPath(a.cfg.DataDir, a.cfg.ExportKeyID, a.cfg.ExportKeyVersion)
	if _, created, err := loadOrCreateSigningKey(path); err != nil {
		return nil, err
	} else if created {
		a.Notes = append(a.Notes, "created the export signing key "+path+" (devices trust its public key: /exports/keys.pem)")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read signing keys: %w", err)
	}
	var signers []export.Signer
	for _, e := range entries {
		id, version, ok := parseExportKeyName(e.Name())
		if !ok || id != a.cfg.ExportKeyID {
			continue
		}
		key, _, err := loadOrCreateSigningKey(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		signers = append(signers, export.Signer{KeyID: id, KeyVersion: version, Signer: key})
	}
	// Newest version first: "v10" after "v9".
	sortSignersNewestFirst(signers)
	return signers, nil
}

// ExportKeyPath is where the export signing key with this id and version is
// kept in a data folder.
func ExportKeyPath(dataDir, id, version string) string {
	return filepath.Join(dataDir, "keys", "export-"+id+"-"+version+".pem")
}

func parseExportKeyName(name string) (id, version string, ok bool) {
	rest, found := strings.CutPrefix(name, "export-")
	if !found {
		return "", "", false
	}
	rest, found = strings.CutSuffix(rest, ".pem")
	if !found {
		return "", "", false
	}
	id, version, ok = strings.Cut(rest, "-")
	return id, version, ok && id != "" && version != ""
}

func (a *App) buildStatistics(ctx context.Context) error {
	if err := installs.Migrate(ctx, a.db); err != nil {
		return err
	}
	authorize := func(r *http.Request) (string, error) {
		key := r.Header.Get("X-API-Key")
		if key == "" {
			return "", errors.New("missing X-API-Key")
		}
		return a.Verification.AuthenticateAdminKey(r.Context(), key)
	}
	ins, err := installs.New(installs.DefaultConfig(), installs.Deps{
		DB: a.db, Clock: a.clock, Logger: a.log, Admin: vnadmin.MustLoad(), Secret: a.secret,
		Authorize: authorize, Registerer: a.registry,
	})
	if err != nil {
		return fmt.Errorf("installs: %w", err)
	}
	a.Installs = ins
	ins.Register(a.mux)
	a.loops = append(a.loops, ins.Run)

	var tr dashboard.Transparency
	if a.Export != nil {
		tr = &transparency{app: a}
	}
	dash, err := dashboard.New(dashboard.DefaultConfig(), dashboard.Deps{Reports: ins, Transparency: tr, Clock: a.clock, Logger: a.log})
	if err != nil {
		return fmt.Errorf("dashboard: %w", err)
	}
	a.Dashboard = dash
	dash.Register(a.mux)
	return a.buildPortal(ctx)
}

func (a *App) buildPortal(ctx context.Context) error {
	if err := portal.Migrate(ctx, a.db); err != nil {
		return err
	}
	pcfg := portal.DefaultConfig()
	if strings.HasPrefix(a.cfg.PublicURL, "https://") {
		pcfg.PublicURL = a.cfg.PublicURL
	} else {
		// Plain HTTP (a developer's machine): session cookies cannot be Secure.
		pcfg.InsecureCookies = true
	}
	keys := &adapters.KeyCounts{DB: a.db, RealmOf: a.realmOfIssuer}
	p, err := portal.New(pcfg, portal.Deps{
		DB: a.db, Clock: a.clock, Logger: a.log, Secret: a.secret,
		Codes: adapters.PortalCodes(a.Verification, a.clock), Deployment: adapters.PortalDeployment(a.Installs), Keys: keys,
	})
	if err != nil {
		return fmt.Errorf("portal: %w", err)
	}
	a.Portal = p
	p.Register(a.mux)
	a.loops = append(a.loops, p.Run)
	return nil
}

// realmOfIssuer maps a certificate issuer to its realm code.
func (a *App) realmOfIssuer(ctx context.Context, issuer string) (string, bool) {
	realms, err := a.Verification.ListRealms(ctx)
	if err != nil {
		return "", false
	}
	for _, r := range realms {
		if r.Issuer == issuer {
			return r.Code, true
		}
	}
	return "", false
}

func (a *App) closeParts() error { return nil }

func (a *App) partLinks(base string) []string {
	var links []string
	if a.Dashboard != nil {
		links = append(links, "dashboard: "+base+"/", "transparency: "+base+"/minh-bach")
	}
	if a.Portal != nil {
		links = append(links, "portal:   "+base+"/portal/ (create the first user: bluezone admin create-user)")
	}
	if a.cfg.runs(PartVerification) {
		links = append(links, "verification API: "+base+"/api/issue, /api/verify, /api/certificate")
	}
	if a.KeyServer != nil {
		links = append(links, "publish API: "+base+"/v1/publish")
	}
	if a.Export != nil {
		links = append(links, "exports: "+base+"/exports/index.txt (public keys: /exports/keys.pem)")
	}
	return links
}

// RotateExportKey creates the next version of the export signing key with
// this id in dataDir (v1 → v2 …) and returns its path and version. Running
// servers sign with it, beside the older keys, after a restart.
func RotateExportKey(dataDir, id string) (path, version string, err error) {
	entries, err := os.ReadDir(filepath.Join(dataDir, "keys"))
	if err != nil && !os.IsNotExist(err) {
		return "", "", fmt.Errorf("read signing keys: %w", err)
	}
	var have []export.Signer
	for _, e := range entries {
		if kid, v, ok := parseExportKeyName(e.Name()); ok && kid == id {
			have = append(have, export.Signer{KeyID: kid, KeyVersion: v})
		}
	}
	next := 1
	if len(have) > 0 {
		sortSignersNewestFirst(have)
		var n int
		if _, err := fmt.Sscanf(have[0].KeyVersion, "v%d", &n); err != nil {
			return "", "", fmt.Errorf("newest key version %q is not of the form vN", have[0].KeyVersion)
		}
		next = n + 1
	}
	version = fmt.Sprintf("v%d", next)
	path = ExportKeyPath(dataDir, id, version)
	if _, _, err := loadOrCreateSigningKey(path); err != nil {
		return "", "", err
	}
	return path, version, nil
}
