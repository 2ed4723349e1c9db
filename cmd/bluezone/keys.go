package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"github.com/bluezone-vn/bluezone/exportfile"
	"github.com/bluezone-vn/bluezone/gaen"
)

func init() {
	commands["keys"] = command{summary: "operator tools: derive RPIs/AEMs, inspect export files, generate signing keys", run: runKeys}
}

const keysUsage = `Usage: bluezone keys SUBCOMMAND [flags]

Subcommands:
  derive    RPIs and AEMs of a TEK for a run of intervals
  inspect   header, keys and signatures of an export zip (file or http(s) URL)
  generate  a new ECDSA P-256 export signing key pair (PEM)

Run 'bluezone keys SUBCOMMAND -h' for its flags.
`

func runKeys(ctx context.Context, env *cliEnv, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(env.stderr, keysUsage)
		return usageErrorf("missing subcommand (derive, inspect or generate)")
	}
	switch args[0] {
	case "derive":
		return runKeysDerive(env, args[1:])
	case "inspect":
		return runKeysInspect(ctx, env, args[1:])
	case "generate":
		return runKeysGenerate(env, args[1:])
	case "help", "-h", "--help":
		fmt.Fprint(env.stdout, keysUsage)
		return flag.ErrHelp
	}
	fmt.Fprint(env.stderr, keysUsage)
	return usageErrorf("unknown subcommand %q", args[0])
}

// maxDeriveCount bounds --count: 14 days of intervals.
const maxDeriveCount = 14 * 144

type deriveOutput struct {
	TEK       string          `json:"tek"`
	RPIK      string          `json:"rpik"`
	AEMK      string          `json:"aemk"`
	Metadata  string          `json:"metadata"`
	Intervals []derivedPeriod `json:"intervals"`
}

type derivedPeriod struct {
	Interval uint32    `json:"interval"`
	Start    time.Time `json:"start"`
	RPI      string    `json:"rpi"`
	AEM      string    `json:"aem"`
}

func runKeysDerive(env *cliEnv, args []string) error {
	fs := newFlagSet(env, "keys derive", "keys derive --tek HEX --interval N [--count K] [--metadata HEX] [--json]")
	tekHex := fs.String("tek", "", "temporary exposure key, 32 hex digits (required)")
	interval := fs.Int64("interval", -1, "first 10-minute interval number (required)")
	count := fs.Int("count", 1, fmt.Sprintf("number of intervals, 1–%d", maxDeriveCount))
	mdHex := fs.String("metadata", "", "4 metadata bytes in hex (default: version 1.1, TX power 0: 50000000)")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected argument %q", fs.Arg(0))
	}
	if *tekHex == "" {
		return usageErrorf("--tek is required")
	}
	tek, err := gaen.ParseTEK(*tekHex)
	if err != nil {
		return fmt.Errorf("--tek: %w", err)
	}
	if *interval < 0 {
		return usageErrorf("--interval is required (a non-negative interval number)")
	}
	if *count < 1 || *count > maxDeriveCount {
		return usageErrorf("--count %d: want 1–%d", *count, maxDeriveCount)
	}
	if *interval+int64(*count)-1 > math.MaxUint32 {
		return usageErrorf("--interval %d + --count %d passes the largest interval number %d", *interval, *count, uint32(math.MaxUint32))
	}
	md := gaen.NewMetadata(0, 0).Bytes()
	if *mdHex != "" {
		b, err := hex.DecodeString(*mdHex)
		if err != nil {
			return fmt.Errorf("--metadata: not hex: %w", err)
		}
		if len(b) != gaen.MetadataLength {
			return fmt.Errorf("--metadata: %d bytes, want %d (%d hex digits)", len(b), gaen.MetadataLength, 2*gaen.MetadataLength)
		}
		copy(md[:], b)
	}
	rpik, aemk := gaen.DeriveRPIK(tek), gaen.DeriveAEMK(tek)
	gen := gaen.NewRPIGenerator(rpik)
	out := deriveOutput{
		TEK: hex.EncodeToString(tek[:]), RPIK: hex.EncodeToString(rpik[:]), AEMK: hex.EncodeToString(aemk[:]),
		Metadata: hex.EncodeToString(md[:]),
	}
	for i := range *count {
		n := uint32(*interval) + uint32(i)
		rpi := gen.RPI(n)
		aem := gaen.EncryptAEM(aemk, rpi, md)
		out.Intervals = append(out.Intervals, derivedPeriod{
			Interval: n, Start: gaen.IntervalTime(n), RPI: hex.EncodeToString(rpi[:]), AEM: hex.EncodeToString(aem[:]),
		})
	}
	if *asJSON {
		return writeJSON(env.stdout, out)
	}
	fmt.Fprintf(env.stdout, "TEK       %s\nRPIK      %s\nAEMK      %s\nmetadata  %s\n\n", out.TEK, out.RPIK, out.AEMK, out.Metadata)
	fmt.Fprintf(env.stdout, "%-10s  %-20s  %-32s  %s\n", "interval", "start (UTC)", "RPI", "AEM")
	for _, p := range out.Intervals {
		fmt.Fprintf(env.stdout, "%-10d  %-20s  %s  %s\n", p.Interval, p.Start.Format(time.RFC3339), p.RPI, p.AEM)
	}
	return nil
}

func runKeysGenerate(env *cliEnv, args []string) error {
	fs := newFlagSet(env, "keys generate", "keys generate [--out PREFIX]")
	out := fs.String("out", "", "write PREFIX-private.pem (PKCS#8, mode 0600) and PREFIX-public.pem instead of printing both")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected argument %q", fs.Arg(0))
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generate key: %w", err)
	}
	priv, err := exportfile.MarshalPrivateKeyPEM(key)
	if err != nil {
		return err
	}
	pub, err := exportfile.MarshalPublicKeyPEM(&key.PublicKey)
	if err != nil {
		return err
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return fmt.Errorf("marshal public key: %w", err)
	}
	if *out == "" {
		_, err := fmt.Fprintf(env.stdout, "%s%s", priv, pub)
		return err
	}
	privPath, pubPath := *out+"-private.pem", *out+"-public.pem"
	if err := writeNewFile(privPath, priv, 0o600); err != nil {
		return err
	}
	if err := writeNewFile(pubPath, pub, 0o644); err != nil {
		os.Remove(privPath)
		return err
	}
	fmt.Fprintf(env.stdout, "private key: %s (keep secret)\npublic key:  %s\npublic key for devices (base64 DER): %s\n",
		privPath, pubPath, base64.StdEncoding.EncodeToString(der))
	return nil
}

// writeNewFile creates path with perm and writes data; it never overwrites.
func writeNewFile(path string, data []byte, perm os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s already exists; refusing to overwrite", path)
		}
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// parseFlags parses args; a bad flag is a usage error (exit status 2).
// The flag package has already printed the problem and the flags.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageErrorf("%v", err)
	}
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
