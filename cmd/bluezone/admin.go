package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/bluezone-vn/bluezone/app"
	"github.com/bluezone-vn/bluezone/portal"
	"github.com/bluezone-vn/bluezone/verification"
)

func init() {
	commands["admin"] = command{summary: "administer realms, API keys and signing keys", run: runAdmin}
}

const adminUsage = `admin SUBCOMMAND [flags]

Subcommands (each takes --data DIR and --db URL like serve):
  realms                                   list the realms (provinces and VN)
  create-api-key --realm CODE --kind admin|device --name NAME
                                           make an API key; it is printed once and stored only hashed
  list-api-keys --realm CODE               list a realm's API keys (never the keys themselves)
  disable-api-key --id ID                  disable an API key
  rotate-signing-key --realm CODE          new certificate signing key for a realm
  rotate-export-key                        new export signing key version (restart serve to use it)
  create-user --username NAME --role ROLE --realm CODE [--district CODE]
                                           a portal account; reads the password from standard input and
                                           makes the user change it at first login. ROLE is one of
                                           national_admin, province_admin, case_worker, campaign_officer, viewer`

// adminSub is one admin subcommand: it gets the opened app and its flags'
// remaining arguments.
type adminSub struct {
	flags func(fs *adminFlags)
	run   func(ctx context.Context, env *cliEnv, a *app.App, f *adminFlags) error
	// noApp subcommands work on the data folder without opening the database.
	noApp func(env *cliEnv, f *adminFlags) error
}

type adminFlags struct {
	data, db, realm, kind, name, id, exportKeyID string
	username, role, district                     string
}

var adminSubs = map[string]adminSub{
	"realms": {run: func(ctx context.Context, env *cliEnv, a *app.App, f *adminFlags) error {
		realms, err := a.Verification.ListRealms(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "CODE\tNAME\tISSUER\tAUDIENCE")
		for _, r := range realms {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Code, r.Name, r.Issuer, r.Audience)
		}
		return tw.Flush()
	}},
	"create-api-key": {run: func(ctx context.Context, env *cliEnv, a *app.App, f *adminFlags) error {
		if f.realm == "" || f.name == "" || (f.kind != verification.KindAdmin && f.kind != verification.KindDevice) {
			return usageErrorf("create-api-key needs --realm, --name and --kind admin|device")
		}
		key, err := a.Verification.CreateAPIKey(ctx, f.realm, f.kind, f.name)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stderr, "%s API key for realm %s (shown once; store it safely):\n", f.kind, f.realm)
		fmt.Fprintln(env.stdout, key)
		return nil
	}},
	"list-api-keys": {run: func(ctx context.Context, env *cliEnv, a *app.App, f *adminFlags) error {
		if f.realm == "" {
			return usageErrorf("list-api-keys needs --realm")
		}
		keys, err := a.Verification.ListAPIKeys(ctx, f.realm)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tKIND\tNAME\tCREATED\tDISABLED")
		for _, k := range keys {
			disabled := "-"
			if k.DisabledAt != nil {
				disabled = k.DisabledAt.UTC().Format("2006-01-02 15:04")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", k.ID, k.Kind, k.Name, k.CreatedAt.UTC().Format("2006-01-02 15:04"), disabled)
		}
		return tw.Flush()
	}},
	"disable-api-key": {run: func(ctx context.Context, env *cliEnv, a *app.App, f *adminFlags) error {
		if f.id == "" {
			return usageErrorf("disable-api-key needs --id")
		}
		if err := a.Verification.DisableAPIKey(ctx, f.id); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "disabled API key %s\n", f.id)
		return nil
	}},
	"rotate-signing-key": {run: func(ctx context.Context, env *cliEnv, a *app.App, f *adminFlags) error {
		if f.realm == "" {
			return usageErrorf("rotate-signing-key needs --realm")
		}
		v, err := a.Verification.RotateSigningKey(ctx, f.realm)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "realm %s now signs certificates with key %s; the key server accepts it within a minute\n", f.realm, v)
		return nil
	}},
	"create-user": {run: func(ctx context.Context, env *cliEnv, a *app.App, f *adminFlags) error {
		if f.username == "" || f.role == "" || f.realm == "" {
			return usageErrorf("create-user needs --username, --role and --realm")
		}
		fmt.Fprintf(env.stderr, "password for %s (at least 12 characters; the user must change it at first login): ", f.username)
		line, err := bufio.NewReader(env.stdin).ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("read password from standard input: %w", err)
		}
		fmt.Fprintln(env.stderr)
		_, err = a.Portal.CreateUser(ctx, portal.NewUser{
			Username: f.username, Password: strings.TrimRight(line, "\r\n"), Realm: f.realm,
			District: f.district, Role: f.role, MustChange: true,
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "created portal user %s (%s, realm %s)\n", f.username, f.role, f.realm)
		return nil
	}},
	"rotate-export-key": {noApp: func(env *cliEnv, f *adminFlags) error {
		path, v, err := app.RotateExportKey(f.data, f.exportKeyID)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "created export signing key %s version %s at %s\n", f.exportKeyID, v, path)
		fmt.Fprintln(env.stdout, "restart serve: files are then signed with it and the older keys; give apps the new public key from /exports/keys.pem")
		return nil
	}},
}

func runAdmin(ctx context.Context, env *cliEnv, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(env.stderr, "Usage: bluezone "+adminUsage)
		if len(args) == 0 {
			return usageErrorf("missing subcommand")
		}
		return nil
	}
	sub, ok := adminSubs[args[0]]
	if !ok {
		return usageErrorf("unknown admin subcommand %q (run 'bluezone admin -h')", args[0])
	}
	var f adminFlags
	fs := newFlagSet(env, "admin "+args[0], adminUsage)
	fs.StringVar(&f.data, "data", envOr("BLUEZONE_DATA", "data"), "data folder (env BLUEZONE_DATA)")
	fs.StringVar(&f.db, "db", os.Getenv("BLUEZONE_DB"), "PostgreSQL URL; empty uses SQLite in the data folder (env BLUEZONE_DB)")
	fs.StringVar(&f.realm, "realm", "", "realm code: a GSO province code such as 67, or VN")
	fs.StringVar(&f.kind, "kind", "", "API key kind: admin or device")
	fs.StringVar(&f.name, "name", "", "a name for the API key")
	fs.StringVar(&f.id, "id", "", "API key id (from list-api-keys)")
	fs.StringVar(&f.exportKeyID, "export-key-id", "452", "export verification_key_id")
	fs.StringVar(&f.username, "username", "", "portal user name")
	fs.StringVar(&f.role, "role", "", "portal role")
	fs.StringVar(&f.district, "district", "", "limit a case worker to one district (GSO code)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected arguments %q", fs.Args())
	}
	if sub.noApp != nil {
		return sub.noApp(env, &f)
	}
	cfg := app.DefaultConfig()
	cfg.DataDir, cfg.DB, cfg.Only = f.data, f.db, app.PartVerification
	if args[0] == "create-user" {
		cfg.Only = app.PartAll // the portal is built only with everything
	}
	cfg.Secret = os.Getenv("BLUEZONE_SECRET")
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	for _, n := range a.Notes {
		fmt.Fprintf(env.stderr, "first start: %s\n", n)
	}
	return sub.run(ctx, env, a, &f)
}
