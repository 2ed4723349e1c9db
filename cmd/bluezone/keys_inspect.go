package main

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/bluezone-vn/bluezone/exportfile"
	"github.com/bluezone-vn/bluezone/gaen"
)

// inspectFetchTimeout bounds a download of an export by URL.
const inspectFetchTimeout = 30 * time.Second

type inspectOutput struct {
	Source         string                     `json:"source"`
	Region         string                     `json:"region"`
	BatchNum       int32                      `json:"batch_num"`
	BatchSize      int32                      `json:"batch_size"`
	Start          time.Time                  `json:"start"`
	End            time.Time                  `json:"end"`
	Keys           int                        `json:"keys"`
	RevisedKeys    int                        `json:"revised_keys"`
	KeysPerDay     []dayCount                 `json:"keys_per_day"`
	ReportTypes    map[string]int             `json:"report_types"`
	RevisedTypes   map[string]int             `json:"revised_report_types"`
	SignatureInfos []exportfile.SignatureInfo `json:"signature_infos"`
	Signatures     []inspectSignature         `json:"signatures"`
	// Verified is set only when a public key was given.
	Verified    *bool  `json:"verified,omitempty"`
	VerifyError string `json:"verify_error,omitempty"`
}

type dayCount struct {
	Day  string `json:"day"` // UTC date of the rolling start
	Keys int    `json:"keys"`
}

type inspectSignature struct {
	exportfile.SignatureInfo
	BatchNum  int32  `json:"batch_num"`
	BatchSize int32  `json:"batch_size"`
	Status    string `json:"status"`
}

func runKeysInspect(ctx context.Context, env *cliEnv, args []string) error {
	fs := newFlagSet(env, "keys inspect", "keys inspect [--public-key FILE] [--key-id ID --key-version V] [--json] EXPORT.zip|URL")
	pubFile := fs.String("public-key", "", "verify with this public key: PEM, or base64 of the DER SubjectPublicKeyInfo")
	keyID := fs.String("key-id", "", "verification_key_id the public key stands for (default: any)")
	keyVersion := fs.String("key-version", "", "verification_key_version the public key stands for (default: any)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("want exactly one export zip (file or http(s) URL), got %d arguments", fs.NArg())
	}
	if (*keyID != "" || *keyVersion != "") && *pubFile == "" {
		return usageErrorf("--key-id and --key-version need --public-key")
	}
	if (*keyID == "") != (*keyVersion == "") {
		return usageErrorf("give both --key-id and --key-version, or neither")
	}
	var pub *ecdsa.PublicKey
	if *pubFile != "" {
		b, err := readLimited(*pubFile, 64<<10)
		if err != nil {
			return fmt.Errorf("--public-key: %w", err)
		}
		if pub, err = exportfile.ParsePublicKey(b); err != nil {
			return fmt.Errorf("--public-key %s: %w", *pubFile, err)
		}
	}
	src := fs.Arg(0)
	limits := exportfile.DefaultLimits()
	data, err := loadExport(ctx, src, limits.MaxZipBytes)
	if err != nil {
		return err
	}
	f, err := limits.Parse(data)
	if err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	out := summarize(src, f)
	var verifyErr error
	if pub != nil {
		trusted := exportfile.TrustedKeys{}
		if *keyID != "" {
			trusted[exportfile.KeyRef{ID: *keyID, Version: *keyVersion}] = pub
		} else {
			// No id given: the key stands for every signature in the file.
			for _, s := range f.Signatures {
				trusted[exportfile.KeyRef{ID: s.Info.KeyID, Version: s.Info.KeyVersion}] = pub
			}
		}
		var st []exportfile.SignatureStatus
		st, verifyErr = f.Verify(trusted)
		for i := range st {
			out.Signatures[i].Status = st[i].Result.String()
		}
		ok := verifyErr == nil
		out.Verified = &ok
		if verifyErr != nil {
			out.VerifyError = verifyErr.Error()
		}
	}
	if *asJSON {
		if err := writeJSON(env.stdout, out); err != nil {
			return err
		}
	} else {
		printInspect(env.stdout, &out)
	}
	if verifyErr != nil {
		return fmt.Errorf("%s: %w", src, verifyErr)
	}
	return nil
}

func summarize(src string, f *exportfile.File) inspectOutput {
	e := f.Export
	out := inspectOutput{
		Source: src, Region: e.Region, BatchNum: e.BatchNum, BatchSize: e.BatchSize, Start: e.Start, End: e.End,
		Keys: len(e.Keys), RevisedKeys: len(e.RevisedKeys), ReportTypes: map[string]int{}, RevisedTypes: map[string]int{},
		SignatureInfos: e.SignatureInfos, KeysPerDay: []dayCount{},
	}
	perDay := map[string]int{}
	for _, k := range e.Keys {
		perDay[gaen.IntervalTime(uint32(k.RollingStart)).Format(time.DateOnly)]++
		out.ReportTypes[k.ReportType.String()]++
	}
	for _, k := range e.RevisedKeys {
		out.RevisedTypes[k.ReportType.String()]++
	}
	for day, n := range perDay {
		out.KeysPerDay = append(out.KeysPerDay, dayCount{Day: day, Keys: n})
	}
	sort.Slice(out.KeysPerDay, func(i, j int) bool { return out.KeysPerDay[i].Day < out.KeysPerDay[j].Day })
	for _, s := range f.Signatures {
		out.Signatures = append(out.Signatures, inspectSignature{SignatureInfo: s.Info, BatchNum: s.BatchNum, BatchSize: s.BatchSize, Status: "not checked"})
	}
	return out
}

func printInspect(w io.Writer, o *inspectOutput) {
	fmt.Fprintf(w, "source        %s\nregion        %s\nbatch         %d of %d\n", o.Source, o.Region, o.BatchNum, o.BatchSize)
	fmt.Fprintf(w, "start         %s\nend           %s\n", o.Start.Format(time.RFC3339), o.End.Format(time.RFC3339))
	fmt.Fprintf(w, "keys          %d\nrevised keys  %d\n", o.Keys, o.RevisedKeys)
	fmt.Fprintln(w, "\nkeys per day (rolling start, UTC):")
	maxN := 0
	for _, d := range o.KeysPerDay {
		maxN = max(maxN, d.Keys)
	}
	for _, d := range o.KeysPerDay {
		fmt.Fprintf(w, "  %s  %7d  %s\n", d.Day, d.Keys, strings.Repeat("#", (d.Keys*40+maxN-1)/maxN))
	}
	printCounts(w, "report types", o.ReportTypes)
	if o.RevisedKeys > 0 {
		printCounts(w, "revised key report types", o.RevisedTypes)
	}
	fmt.Fprintln(w, "\nsignature infos (export.bin):")
	for _, s := range o.SignatureInfos {
		fmt.Fprintf(w, "  key %s version %s algorithm %s\n", s.KeyID, s.KeyVersion, s.Algorithm)
	}
	fmt.Fprintln(w, "\nsignatures (export.sig):")
	for i, s := range o.Signatures {
		fmt.Fprintf(w, "  #%d key %s version %s algorithm %s batch %d/%d: %s\n", i, s.KeyID, s.KeyVersion, s.Algorithm, s.BatchNum, s.BatchSize, s.Status)
	}
	switch {
	case o.Verified == nil:
		fmt.Fprintln(w, "\nverification  not checked (no --public-key)")
	case *o.Verified:
		fmt.Fprintln(w, "\nverification  OK")
	default:
		fmt.Fprintf(w, "\nverification  FAILED: %s\n", o.VerifyError)
	}
}

func printCounts(w io.Writer, title string, m map[string]int) {
	fmt.Fprintf(w, "\n%s:\n", title)
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-30s %d\n", n, m[n])
	}
}

// loadExport reads an export zip from a file or an http(s) URL, refusing
// more than limit bytes.
func loadExport(ctx context.Context, src string, limit int64) ([]byte, error) {
	if strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://") {
		return fetchURL(ctx, src, limit)
	}
	return readLimited(src, limit)
}

func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAllLimited(f, limit, path)
}

func readAllLimited(r io.Reader, limit int64, what string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", what, limit)
	}
	return b, nil
}

func fetchURL(ctx context.Context, url string, limit int64) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, inspectFetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch %s: HTTP status %s", url, resp.Status)
	}
	if resp.ContentLength > limit {
		return nil, fmt.Errorf("fetch %s: %d bytes, limit %d", url, resp.ContentLength, limit)
	}
	return readAllLimited(resp.Body, limit, url)
}
