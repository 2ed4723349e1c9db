package main

import (
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bluezone-vn/bluezone/exportfile"
	"github.com/bluezone-vn/bluezone/gaen"
)

const (
	sampleZip = "../../exportfile/testdata/sample_diagnosis_key_file.zip"
	samplePub = "../../exportfile/testdata/sample_public_key.b64"
)

func TestKeysDerive(t *testing.T) {
	t.Parallel()
	tekHex := "75c734c6dd1a782de7a965da5eb93125"
	tek, err := gaen.ParseTEK(tekHex)
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "", "keys", "derive", "--tek", tekHex, "--interval", "2642976", "--count", "3", "--metadata", "40080000", "--json")
	if code != 0 {
		t.Fatalf("code %d: %s", code, stderr)
	}
	var out deriveOutput
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatal(err)
	}
	rpik, aemk := gaen.DeriveRPIK(tek), gaen.DeriveAEMK(tek)
	if out.RPIK != hex.EncodeToString(rpik[:]) || out.AEMK != hex.EncodeToString(aemk[:]) || out.Metadata != "40080000" || len(out.Intervals) != 3 {
		t.Fatalf("output %+v", out)
	}
	for i, p := range out.Intervals {
		n := uint32(2642976 + i)
		rpi := gaen.DeriveRPI(tek, n)
		aem := gaen.EncryptAEM(aemk, rpi, [4]byte{0x40, 0x08, 0, 0})
		if p.Interval != n || p.RPI != hex.EncodeToString(rpi[:]) || p.AEM != hex.EncodeToString(aem[:]) || !p.Start.Equal(gaen.IntervalTime(n)) {
			t.Errorf("interval %d: %+v", i, p)
		}
	}
	// The table shows the same values.
	code, table, _ := runCLI(t, "", "keys", "derive", "--tek", strings.ToUpper(tekHex), "--interval", "2642976", "--count", "3", "--metadata", "40080000")
	if code != 0 || !strings.Contains(table, out.Intervals[2].RPI+"  "+out.Intervals[2].AEM) || !strings.Contains(table, "2020-04-02T00:20:00Z") {
		t.Fatalf("table:\n%s", table)
	}
}

func TestKeysDeriveErrors(t *testing.T) {
	t.Parallel()
	tek := "75c734c6dd1a782de7a965da5eb93125"
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no tek", []string{"--interval", "1"}, 2, "--tek is required"},
		{"bad hex", []string{"--tek", "zz" + tek[2:], "--interval", "1"}, 1, "--tek"},
		{"short tek", []string{"--tek", tek[:30], "--interval", "1"}, 1, "--tek"},
		{"long tek", []string{"--tek", tek + "00", "--interval", "1"}, 1, "--tek"},
		{"no interval", []string{"--tek", tek}, 2, "--interval is required"},
		{"interval not a number", []string{"--tek", tek, "--interval", "soon"}, 2, "invalid value"},
		{"count 0", []string{"--tek", tek, "--interval", "1", "--count", "0"}, 2, "--count 0"},
		{"count too big", []string{"--tek", tek, "--interval", "1", "--count", "2017"}, 2, "--count 2017"},
		{"interval overflow", []string{"--tek", tek, "--interval", "4294967295", "--count", "2"}, 2, "passes the largest interval"},
		{"metadata hex", []string{"--tek", tek, "--interval", "1", "--metadata", "4008000g"}, 1, "--metadata: not hex"},
		{"metadata length", []string{"--tek", tek, "--interval", "1", "--metadata", "400800"}, 1, "--metadata: 3 bytes, want 4"},
		{"extra argument", []string{"--tek", tek, "--interval", "1", "more"}, 2, `unexpected argument "more"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "", append([]string{"keys", "derive"}, c.args...)...)
			if code != c.code || !strings.Contains(stderr, c.want) || stdout != "" {
				t.Fatalf("code %d, stderr %q, stdout %q; want %d, %q", code, stderr, stdout, c.code, c.want)
			}
		})
	}
}

func TestKeysSubcommands(t *testing.T) {
	t.Parallel()
	if code, _, stderr := runCLI(t, "", "keys"); code != 2 || !strings.Contains(stderr, "missing subcommand") {
		t.Fatalf("no subcommand: %d %q", code, stderr)
	}
	if code, _, stderr := runCLI(t, "", "keys", "frob"); code != 2 || !strings.Contains(stderr, `unknown subcommand "frob"`) {
		t.Fatalf("unknown: %d %q", code, stderr)
	}
	if code, stdout, _ := runCLI(t, "", "keys", "help"); code != 0 || !strings.Contains(stdout, "inspect") {
		t.Fatalf("help: %d %q", code, stdout)
	}
}

func TestKeysInspectSample(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runCLI(t, "", "keys", "inspect", "--public-key", samplePub, sampleZip)
	if code != 0 {
		t.Fatalf("code %d: %s", code, stderr)
	}
	for _, want := range []string{"region        US", "keys          140", "2020-06-17       10", "UNKNOWN                        140",
		"#0 key 310 version v1 algorithm 1.2.840.10045.4.3.2 batch 1/1: valid", "verification  OK", "start         2020-07-01T20:00:00Z"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	// The same key as PEM, bound to its id and version, with JSON output.
	pemPath := filepath.Join(t.TempDir(), "pub.pem")
	pub, err := exportfile.ParsePublicKey(mustRead(t, samplePub))
	if err != nil {
		t.Fatal(err)
	}
	pemBytes, _ := exportfile.MarshalPublicKeyPEM(pub)
	mustWrite(t, pemPath, pemBytes)
	code, stdout, stderr = runCLI(t, "", "keys", "inspect", "--json", "--public-key", pemPath, "--key-id", "310", "--key-version", "v1", sampleZip)
	if code != 0 {
		t.Fatalf("code %d: %s", code, stderr)
	}
	var out inspectOutput
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatal(err)
	}
	if out.Keys != 140 || out.Region != "US" || len(out.KeysPerDay) != 14 || out.ReportTypes["UNKNOWN"] != 140 ||
		out.Verified == nil || !*out.Verified || out.Signatures[0].Status != "valid" {
		t.Fatalf("json %+v", out)
	}
	// Without a key nothing is checked, and that is not a failure.
	code, stdout, _ = runCLI(t, "", "keys", "inspect", sampleZip)
	if code != 0 || !strings.Contains(stdout, "not checked") {
		t.Fatalf("no key: %d\n%s", code, stdout)
	}
}

func TestKeysInspectBuilt(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	prefix := filepath.Join(dir, "signing")
	if code, _, stderr := runCLI(t, "", "keys", "generate", "--out", prefix); code != 0 {
		t.Fatalf("generate: %s", stderr)
	}
	priv, err := exportfile.ParsePrivateKeyPEM(mustRead(t, prefix+"-private.pem"))
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	rs := int32(gaen.RollingStart(day))
	e := &exportfile.Export{
		Start: day, End: day.Add(time.Hour), Region: "VN", BatchNum: 1, BatchSize: 1,
		Keys: []exportfile.Key{
			{Data: [16]byte{1}, RollingStart: rs, RollingPeriod: 144, ReportType: exportfile.ReportTypeConfirmedTest},
			{Data: [16]byte{2}, RollingStart: rs - 144, RollingPeriod: 144, ReportType: exportfile.ReportTypeConfirmedTest},
			{Data: [16]byte{3}, RollingStart: rs - 144, RollingPeriod: 72, ReportType: exportfile.ReportTypeSelfReport},
		},
		RevisedKeys: []exportfile.Key{{Data: [16]byte{4}, RollingStart: rs, RollingPeriod: 144, ReportType: exportfile.ReportTypeRevoked}},
	}
	z, err := exportfile.Build(e, exportfile.Signer{Info: exportfile.SignatureInfo{KeyID: "452", KeyVersion: "v1"}, Signer: priv})
	if err != nil {
		t.Fatal(err)
	}
	zipPath := filepath.Join(dir, "export.zip")
	mustWrite(t, zipPath, z)
	code, stdout, stderr := runCLI(t, "", "keys", "inspect", "--json", "--public-key", prefix+"-public.pem", zipPath)
	if code != 0 {
		t.Fatalf("code %d: %s", code, stderr)
	}
	var out inspectOutput
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatal(err)
	}
	want := []dayCount{{"2026-02-28", 2}, {"2026-03-01", 1}}
	if out.Keys != 3 || out.RevisedKeys != 1 || out.ReportTypes["CONFIRMED_TEST"] != 2 || out.ReportTypes["SELF_REPORT"] != 1 ||
		out.RevisedTypes["REVOKED"] != 1 || len(out.KeysPerDay) != 2 || out.KeysPerDay[0] != want[0] || out.KeysPerDay[1] != want[1] ||
		!*out.Verified {
		t.Fatalf("json %+v", out)
	}
	// Served over HTTP.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/vn/export.zip" {
			http.NotFound(w, r)
			return
		}
		w.Write(z)
	}))
	defer srv.Close()
	code, stdout, stderr = runCLI(t, "", "keys", "inspect", "--public-key", prefix+"-public.pem", srv.URL+"/vn/export.zip")
	if code != 0 || !strings.Contains(stdout, "revised keys  1") || !strings.Contains(stdout, "REVOKED") {
		t.Fatalf("url: %d %s\n%s", code, stderr, stdout)
	}
	code, _, stderr = runCLI(t, "", "keys", "inspect", srv.URL+"/missing.zip")
	if code != 1 || !strings.Contains(stderr, "HTTP status 404") {
		t.Fatalf("404: %d %q", code, stderr)
	}
}

func TestKeysInspectErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	other := filepath.Join(dir, "other")
	if code, _, stderr := runCLI(t, "", "keys", "generate", "--out", other); code != 0 {
		t.Fatal(stderr)
	}
	badPEM := filepath.Join(dir, "bad.pem")
	mustWrite(t, badPEM, []byte("-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n"))
	notZip := filepath.Join(dir, "not.zip")
	mustWrite(t, notZip, []byte("hello"))
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"wrong key", []string{"--public-key", other + "-public.pem", sampleZip}, 1, "export signature does not verify"},
		{"unknown key id", []string{"--public-key", samplePub, "--key-id", "311", "--key-version", "v1", sampleZip}, 1, "no signature from a trusted key"},
		{"private key as public", []string{"--public-key", other + "-private.pem", sampleZip}, 1, `PEM block is "PRIVATE KEY"`},
		{"bad PEM", []string{"--public-key", badPEM, sampleZip}, 1, "parse public key"},
		{"missing key file", []string{"--public-key", filepath.Join(dir, "none.pem"), sampleZip}, 1, "no such file"},
		{"missing zip", []string{filepath.Join(dir, "none.zip")}, 1, "no such file"},
		{"not a zip", []string{notZip}, 1, "malformed export file"},
		{"no argument", nil, 2, "want exactly one export zip"},
		{"two arguments", []string{sampleZip, sampleZip}, 2, "got 2 arguments"},
		{"key id without key", []string{"--key-id", "310", "--key-version", "v1", sampleZip}, 2, "need --public-key"},
		{"key id without version", []string{"--public-key", samplePub, "--key-id", "310", sampleZip}, 2, "both --key-id and --key-version"},
		{"bad URL", []string{"http://127.0.0.1:1/x.zip"}, 1, "fetch"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, "", append([]string{"keys", "inspect"}, c.args...)...)
			if code != c.code || !strings.Contains(stderr, c.want) {
				t.Fatalf("code %d, stderr %q; want %d, %q", code, stderr, c.code, c.want)
			}
		})
	}
	// A failed verification still prints what was found, then fails.
	code, stdout, _ := runCLI(t, "", "keys", "inspect", "--public-key", other+"-public.pem", sampleZip)
	if code != 1 || !strings.Contains(stdout, "verification  FAILED") || !strings.Contains(stdout, ": invalid") {
		t.Fatalf("code %d\n%s", code, stdout)
	}
}

func TestKeysGenerate(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := runCLI(t, "", "keys", "generate")
	if code != 0 {
		t.Fatal(stderr)
	}
	priv, err := exportfile.ParsePrivateKeyPEM([]byte(stdout))
	if err != nil {
		t.Fatal(err)
	}
	pubPart := stdout[strings.Index(stdout, "-----BEGIN PUBLIC KEY-----"):]
	pub, err := exportfile.ParsePublicKey([]byte(pubPart))
	if err != nil || !pub.Equal(&priv.PublicKey) {
		t.Fatalf("public key: %v", err)
	}
	// Two runs give different keys.
	_, stdout2, _ := runCLI(t, "", "keys", "generate")
	if stdout2 == stdout {
		t.Fatal("same key twice")
	}

	dir := t.TempDir()
	prefix := filepath.Join(dir, "k")
	code, stdout, stderr = runCLI(t, "", "keys", "generate", "--out", prefix)
	if code != 0 || !strings.Contains(stdout, "base64 DER") {
		t.Fatalf("%d %s", code, stderr)
	}
	st, err := os.Stat(prefix + "-private.pem")
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("private key file: %v %v", err, st.Mode())
	}
	if strings.Contains(stdout, "PRIVATE KEY") {
		t.Fatal("private key printed with --out")
	}
	before := mustRead(t, prefix+"-private.pem")
	code, _, stderr = runCLI(t, "", "keys", "generate", "--out", prefix)
	if code != 1 || !strings.Contains(stderr, "already exists") || string(mustRead(t, prefix+"-private.pem")) != string(before) {
		t.Fatalf("overwrite: %d %q", code, stderr)
	}
	code, _, stderr = runCLI(t, "", "keys", "generate", "--out", filepath.Join(dir, "no", "such", "dir", "k"))
	if code != 1 || !strings.Contains(stderr, "no such file") {
		t.Fatalf("bad dir: %d %q", code, stderr)
	}
	if code, _, stderr = runCLI(t, "", "keys", "generate", "extra"); code != 2 || !strings.Contains(stderr, "unexpected argument") {
		t.Fatalf("extra: %d %q", code, stderr)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustWrite(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
