package main

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/bluezone-vn/bluezone/internal/loadgen"
	"github.com/bluezone-vn/bluezone/store"
)

// runServeKeyserver runs a keyserver on a loopback port until killed, for
// the durability test: it opens --db, trusts the health authority whose
// ES256 private key (PKCS#8 PEM) is in --ha-key, and prints "listening ADDR".
func runServeKeyserver(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("serve-keyserver", flag.ContinueOnError)
	dsn := fs.String("db", "", "database DSN (kept)")
	keyFile := fs.String("ha-key", "", "health authority private key, PKCS#8 PEM")
	secretHex := fs.String("secret", "", "server secret (64 hex digits)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dsn == "" || *keyFile == "" || len(*secretHex) != 64 {
		return errors.New("serve-keyserver needs --db, --ha-key and --secret")
	}
	pemBytes, err := os.ReadFile(*keyFile)
	if err != nil {
		return err
	}
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return errors.New("no PEM in --ha-key")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return err
	}
	a, err := authorityFromKey(k)
	if err != nil {
		return err
	}
	secret := make([]byte, 32)
	if _, err := fmt.Sscanf(*secretHex, "%x", &secret); err != nil {
		return err
	}
	db, err := store.Open(ctx, *dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	srv, err := startKeyserver(ctx, db, a, secret, nil, 0)
	if err != nil {
		return err
	}
	addr, stop, err := loadgen.ServeService(ctx, srv)
	if err != nil {
		return err
	}
	defer stop()
	fmt.Fprintf(out, "listening %s\n", addr)
	<-ctx.Done()
	return nil
}
