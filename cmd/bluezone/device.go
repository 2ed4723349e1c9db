package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bluezone-vn/bluezone/device"
)

func init() {
	commands["device"] = command{summary: "run a virtual phone: init, status, sync, report, warnings, seen", run: runDevice}
}

const deviceSynopsis = "device SUBCOMMAND [--dir DIR] [flags]\n\n" +
	"Subcommands:\n" +
	"  init --server URL [--trust-key FILE]   create a device, pin the export signing keys\n" +
	"  status                                 keys, sightings, last sync, warnings\n" +
	"  sync                                   download, verify and match new export files\n" +
	"  report --code CODE [--yes]             share your keys after a health worker's code\n" +
	"  warnings [--details]                   F1/F2 warnings with what to do\n" +
	"  seen                                   devices heard per day\n"

func runDevice(ctx context.Context, env *cliEnv, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprint(env.stdout, "Usage: bluezone "+deviceSynopsis)
			return nil
		}
		return usageErrorf("missing subcommand\nUsage: bluezone %s", deviceSynopsis)
	}
	sub, rest := args[0], args[1:]
	fs := newFlagSet(env, "device "+sub, "device "+sub+" [flags]")
	dir := fs.String("dir", envOr("BLUEZONE_DEVICE_DIR", "bluezone-device"), "device directory (env BLUEZONE_DEVICE_DIR)")
	switch sub {
	case "init":
		server := fs.String("server", "", "server base URL, e.g. http://127.0.0.1:8080 (required)")
		trustKey := fs.String("trust-key", "", "PEM file of the export signing key(s) to trust instead of fetching /exports/keys.json")
		keyID := fs.String("key-id", "", "verification_key_id for a --trust-key PEM without a keyId= line")
		keyVersion := fs.String("key-version", "v1", "verification_key_version for a --trust-key PEM without a keyVersion= line")
		apiKey := fs.String("api-key", os.Getenv("BLUEZONE_DEVICE_API_KEY"), "device API key of the verification server (env BLUEZONE_DEVICE_API_KEY)")
		province := fs.String("province", "", "GSO province code for the daily check-in (empty: no check-in)")
		district := fs.String("district", "", "GSO district code for the daily check-in")
		platform := fs.String("platform", "other", `platform sent with the check-in: "android", "ios" or "other"`)
		txPower := fs.Int("tx-power", -15, "calibrated TX power advertised in the metadata, dBm")
		rssiOffset := fs.Int("rssi-offset", 0, "correction added to received RSSI, dB")
		riskFile := fs.String("risk-config", "", "JSON risk configuration file (default: Vietnam's 2 m / 15 min rule)")
		chaff := fs.Float64("chaff-hours", 0, "send chaff publishes at random, on average this many hours apart (0: never)")
		if err := fs.Parse(rest); err != nil {
			return err
		}
		if *server == "" {
			return usageErrorf("device init: --server is required")
		}
		cfg := device.DefaultConfig(*server)
		cfg.APIKey, cfg.Province, cfg.District, cfg.Platform = *apiKey, *province, *district, *platform
		cfg.TXPower, cfg.RSSIOffset, cfg.ChaffMeanHours = *txPower, *rssiOffset, *chaff
		var risk string
		if *riskFile != "" {
			b, err := os.ReadFile(*riskFile)
			if err != nil {
				return err
			}
			if _, err := device.ParseRiskConfig(b); err != nil {
				return err
			}
			risk = string(b)
		}
		var pems []trustedPEM
		if *trustKey != "" {
			b, err := os.ReadFile(*trustKey)
			if err != nil {
				return err
			}
			if pems, err = splitKeysPEM(string(b), *keyID, *keyVersion); err != nil {
				return err
			}
		}
		d, err := device.Create(*dir, cfg, nil)
		if err != nil {
			return err
		}
		defer d.Close()
		if risk != "" {
			if err := d.SetRiskConfigJSON(risk); err != nil {
				return err
			}
		}
		n := len(pems)
		for _, p := range pems {
			if err := d.TrustKey(p.id, p.version, p.pem); err != nil {
				return err
			}
		}
		if n == 0 {
			if n, err = d.FetchTrustedKeys(ctx); err != nil {
				return fmt.Errorf("%w (the device was created; pin keys with --trust-key on a fresh directory)", err)
			}
		}
		fmt.Fprintf(env.stdout, "Device created in %s; trusting %d export signing key(s) of %s.\n", *dir, n, *server)
		return nil
	case "status":
		if err := fs.Parse(rest); err != nil {
			return err
		}
		return withDevice(*dir, func(d *device.Device) error {
			s, err := d.Status()
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "Server\t%s\n", s.ServerURL)
			fmt.Fprintf(tw, "Trusted export keys\t%d\n", s.TrustedKeys)
			fmt.Fprintf(tw, "Own keys (14 days)\t%d (%d shared)\n", s.OwnKeys, s.ReleasedKeys)
			fmt.Fprintf(tw, "Broadcasting now\t%s\n", s.CurrentRPI)
			fmt.Fprintf(tw, "Sightings\t%d over %d day(s)\n", s.Sightings, s.SightingDays)
			fmt.Fprintf(tw, "Last sync\t%s\n", unixOrNever(s.LastSyncUnix))
			fmt.Fprintf(tw, "Last export file\t%s\n", orDash(s.LastExport))
			fmt.Fprintf(tw, "Rejected export files\t%d\n", s.RejectedFiles)
			fmt.Fprintf(tw, "Warnings\t%d\n", s.Warnings)
			fmt.Fprintf(tw, "Reports made\t%d\n", s.Reports)
			fmt.Fprintf(tw, "Last check-in\t%s\n", orDash(s.LastCheckinDay))
			if s.LastError != "" {
				fmt.Fprintf(tw, "Last error\t%s\n", s.LastError)
			}
			return tw.Flush()
		})
	case "sync":
		if err := fs.Parse(rest); err != nil {
			return err
		}
		return withDevice(*dir, func(d *device.Device) error {
			res, err := d.Sync(ctx)
			if res != nil {
				fmt.Fprintf(env.stdout, "%d file(s) verified, %d key(s) checked against %d sighting(s), %d matched; %d new F1, %d new F2 warning(s).\n",
					res.Files, res.Keys, res.Sightings, res.MatchedKeys, res.NewF1, res.NewF2)
				for _, r := range res.RejectedFiles {
					fmt.Fprintf(env.stdout, "REJECTED %s: %s\n", r.Name, r.Reason)
				}
			}
			if err != nil {
				return err
			}
			duties, err := d.RunDuties(ctx)
			if err != nil {
				return err
			}
			if duties.CheckedIn {
				fmt.Fprintln(env.stdout, "Daily check-in sent.")
			}
			if duties.Errors != "" {
				fmt.Fprintf(env.stderr, "warning: %s\n", duties.Errors)
			}
			if res.NewF1+res.NewF2 > 0 {
				fmt.Fprintln(env.stdout, "Run 'bluezone device warnings' for what to do.")
			}
			return nil
		})
	case "report":
		code := fs.String("code", "", "verification code from the health worker (required)")
		yes := fs.Bool("yes", false, "consent without asking")
		if err := fs.Parse(rest); err != nil {
			return err
		}
		if *code == "" {
			return usageErrorf("device report: --code is required")
		}
		return withDevice(*dir, func(d *device.Device) error {
			consent := *yes
			if !consent {
				fmt.Fprint(env.stdout, "This shares your phone's random daily keys of the last 14 days with the health authority,\n"+
					"so that people you were near can be warned. It shares no name, phone number, location or contacts.\n"+
					"Share your keys? [y/N] ")
				line, _ := bufio.NewReader(env.stdin).ReadString('\n')
				a := strings.ToLower(strings.TrimSpace(line))
				consent = a == "y" || a == "yes" || a == "c" || a == "có"
			}
			res, err := d.Report(ctx, *code, consent)
			if errors.Is(err, device.ErrNoConsent) {
				fmt.Fprintln(env.stdout, "Not shared. Nothing was sent.")
				return nil
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(env.stdout, "Shared %d key(s) (%s report); the server stored %d. Thank you.\n", res.Keys, res.TestType, res.Inserted)
			if res.Warnings != "" {
				fmt.Fprintf(env.stdout, "Server notes: %s\n", res.Warnings)
			}
			return nil
		})
	case "warnings":
		details := fs.Bool("details", false, "also list the exposure windows")
		if err := fs.Parse(rest); err != nil {
			return err
		}
		return withDevice(*dir, func(d *device.Device) error {
			ws := d.Warnings()
			if ws.Len() == 0 {
				fmt.Fprintln(env.stdout, "No warnings.")
			}
			for _, w := range ws.All() {
				fmt.Fprintf(env.stdout, "%s on %s: %d min close contact (%d min nearby), closest %s (%s)\n  %s\n",
					w.Kind, w.Day, w.CloseSeconds/60, w.TotalSeconds/60, w.ClosestBucket, w.ClosestDistance, w.Advice)
			}
			if *details {
				tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "START (UTC)\tREPORT\tINFECTIOUSNESS\tSCANS\tMIN\tMIN dB\tSCORE")
				for _, w := range d.ExposureWindows().All() {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%.0f\n", time.Unix(w.StartUnix, 0).UTC().Format("2006-01-02 15:04"),
						w.ReportType, w.Infectiousness, w.Scans, w.Seconds/60, w.MinAttenuationDb, w.Score)
				}
				return tw.Flush()
			}
			return nil
		})
	case "seen":
		if err := fs.Parse(rest); err != nil {
			return err
		}
		return withDevice(*dir, func(d *device.Device) error {
			seen, err := d.SeenPerDay()
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "DAY (UTC)\tDEVICES (est.)\tIDENTIFIERS\tSIGHTINGS")
			for _, s := range seen.All() {
				fmt.Fprintf(tw, "%s\t%d\t%d\t%d\n", s.Day, s.Devices, s.Identifiers, s.Sightings)
			}
			return tw.Flush()
		})
	default:
		return usageErrorf("unknown device subcommand %q\nUsage: bluezone %s", sub, deviceSynopsis)
	}
}

func withDevice(dir string, fn func(*device.Device) error) error {
	d, err := device.Open(dir, nil)
	if err != nil {
		return err
	}
	err = fn(d)
	return errors.Join(err, d.Close())
}

type trustedPEM struct{ id, version, pem string }

// splitKeysPEM reads a file of PEM public keys. Each may be preceded by a
// "keyId=… keyVersion=…" line, as GET /exports/keys.pem serves them; keys
// without one take the given id and version.
func splitKeysPEM(s, id, version string) ([]trustedPEM, error) {
	var out []trustedPEM
	curID, curVer := id, version
	var block strings.Builder
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimRight(line, "\r")
		switch {
		case strings.HasPrefix(line, "keyId="):
			curID, curVer = id, version
			for _, f := range strings.Fields(line) {
				if v, ok := strings.CutPrefix(f, "keyId="); ok {
					curID = v
				}
				if v, ok := strings.CutPrefix(f, "keyVersion="); ok {
					curVer = v
				}
			}
		case strings.HasPrefix(line, "-----BEGIN"):
			block.Reset()
			block.WriteString(line + "\n")
		case strings.HasPrefix(line, "-----END"):
			block.WriteString(line + "\n")
			if curID == "" {
				return nil, usageErrorf("trust key: the PEM file names no keyId; pass --key-id")
			}
			out = append(out, trustedPEM{curID, curVer, block.String()})
			block.Reset()
		default:
			if block.Len() > 0 {
				block.WriteString(line + "\n")
			}
		}
	}
	if len(out) == 0 {
		return nil, errors.New("trust key: no PEM public key in the file")
	}
	return out, nil
}

func unixOrNever(u int64) string {
	if u == 0 {
		return "never"
	}
	return time.Unix(u, 0).UTC().Format(time.RFC3339)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
