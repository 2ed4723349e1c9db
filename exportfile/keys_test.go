package exportfile

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"testing"
)

func TestPublicKeyFormats(t *testing.T) {
	t.Parallel()
	k := newKey(t)
	pemBytes, err := MarshalPublicKeyPEM(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	std := base64.StdEncoding.EncodeToString(der)
	inputs := map[string]string{
		"pem":          string(pemBytes),
		"pem in text":  "comment\n" + string(pemBytes) + "trailer\n",
		"base64":       std,
		"base64 lines": std[:40] + "\n " + std[40:] + "\n",
		"raw url":      base64.RawURLEncoding.EncodeToString(der),
	}
	for name, in := range inputs {
		got, err := ParsePublicKey([]byte(in))
		if err != nil || !got.Equal(&k.PublicKey) {
			t.Errorf("%s: %v", name, err)
		}
	}
	sample, err := ParsePublicKey(readTestdata(t, "sample_public_key.b64"))
	if err != nil || sample.Curve.Params().Name != "P-256" {
		t.Fatalf("sample key: %v", err)
	}
}

func TestPublicKeyErrors(t *testing.T) {
	t.Parallel()
	p384 := newP384(t)
	der384, _ := x509.MarshalPKIXPublicKey(&p384.PublicKey)
	privPEM, _ := MarshalPrivateKeyPEM(newKey(t))
	cases := []struct{ name, in, want string }{
		{"empty", "  \n", "empty input"},
		{"not base64", "not a key!", "neither PEM nor base64"},
		{"base64 not DER", base64.StdEncoding.EncodeToString([]byte("hello")), "parse public key"},
		{"P-384", base64.StdEncoding.EncodeToString(der384), "not an ECDSA P-256 key"},
		{"private key PEM", string(privPEM), `PEM block is "PRIVATE KEY"`},
		{"broken PEM", "-----BEGIN PUBLIC KEY-----\nMFkw\n", "malformed PEM"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k, err := ParsePublicKey([]byte(c.in))
			if err == nil || !strings.Contains(err.Error(), c.want) || k != nil {
				t.Fatalf("err %v, want %q", err, c.want)
			}
		})
	}
}

func TestPrivateKeyPEM(t *testing.T) {
	t.Parallel()
	k := newKey(t)
	p, err := MarshalPrivateKeyPEM(k)
	if err != nil || !bytes.HasPrefix(p, []byte("-----BEGIN PRIVATE KEY-----")) {
		t.Fatalf("%s %v", p, err)
	}
	got, err := ParsePrivateKeyPEM(p)
	if err != nil || !got.Equal(k) {
		t.Fatalf("round trip: %v", err)
	}
	sec1, _ := x509.MarshalECPrivateKey(k)
	if got, err := ParsePrivateKeyPEM(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1})); err != nil || !got.Equal(k) {
		t.Fatalf("SEC 1: %v", err)
	}
	pub, _ := MarshalPublicKeyPEM(&k.PublicKey)
	p384, _ := x509.MarshalPKCS8PrivateKey(newP384(t))
	for name, in := range map[string][]byte{
		"none":    []byte("nothing"),
		"public":  pub,
		"garbage": pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2}}),
		"P-384":   pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p384}),
	} {
		if k, err := ParsePrivateKeyPEM(in); err == nil || k != nil {
			t.Errorf("%s: parsed", name)
		}
	}
}
