package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/bluezone-vn/bluezone/app"
)

func init() {
	commands["serve"] = command{summary: "run the server (SQLite by default; --db postgres://… for PostgreSQL)", run: runServe}
}

func runServe(ctx context.Context, env *cliEnv, args []string) error {
	cfg := app.DefaultConfig()
	fs := newFlagSet(env, "serve", "serve [--data DIR] [--db postgres://…] [--addr HOST:PORT] [--only PART]")
	fs.StringVar(&cfg.DataDir, "data", envOr("BLUEZONE_DATA", cfg.DataDir), "data folder: SQLite database, secrets, signing keys, export files (env BLUEZONE_DATA)")
	fs.StringVar(&cfg.DB, "db", os.Getenv("BLUEZONE_DB"), "PostgreSQL URL; empty uses SQLite in the data folder (env BLUEZONE_DB)")
	fs.StringVar(&cfg.Addr, "addr", envOr("BLUEZONE_ADDR", cfg.Addr), "listen address (env BLUEZONE_ADDR)")
	fs.StringVar(&cfg.Only, "only", envOr("BLUEZONE_ONLY", "all"), "run one part alone: keyserver, verification or export (env BLUEZONE_ONLY)")
	fs.StringVar(&cfg.PublicURL, "public-url", os.Getenv("BLUEZONE_PUBLIC_URL"), "URL devices and browsers use (default http://ADDR)")
	fs.DurationVar(&cfg.ExportPeriod, "export-period", cfg.ExportPeriod, "export batch period; must divide 24h")
	fs.DurationVar(&cfg.ExportMinWindowAge, "export-min-age", cfg.ExportMinWindowAge, "how long after a batch ends it is exported")
	fs.StringVar(&cfg.ExportKeyID, "export-key-id", cfg.ExportKeyID, "verification_key_id written into export files")
	fs.StringVar(&cfg.ExportKeyVersion, "export-key-version", cfg.ExportKeyVersion, "verification_key_version written into export files")
	fs.StringVar(&cfg.Region, "region", cfg.Region, "region written into export files")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected arguments %q", fs.Args())
	}
	cfg.Secret = os.Getenv("BLUEZONE_SECRET")
	cfg.Logger = slog.New(slog.NewTextHandler(env.stderr, nil))
	a, err := app.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	base := cfg.PublicURL
	if base == "" {
		base = "http://" + ln.Addr().String()
	}
	fmt.Fprintf(env.stdout, "Bluezone server (%s) listening on %s\n", cfg.Only, base)
	for _, n := range a.Notes {
		fmt.Fprintf(env.stdout, "  first start: %s\n", n)
	}
	for _, l := range a.Links(base) {
		fmt.Fprintf(env.stdout, "  %s\n", l)
	}
	start := time.Now()
	err = a.Run(ctx, ln)
	fmt.Fprintf(env.stdout, "stopped after %s\n", time.Since(start).Round(time.Second))
	return err
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
